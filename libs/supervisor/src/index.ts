export * from './system';
export * from './service-process';
export { seedDemo, DEMO_MODEL } from './seed';
export { readNatsUsers, NATS_PERMISSIONS, type SavedNatsUsers } from './nats-users';
