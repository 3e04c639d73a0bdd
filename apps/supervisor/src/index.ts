export * from './system';
export * from './service-process';
export { seedDemo, DEMO_MODEL } from './seed';
export { SECRET_VARIABLES, SERVICE_SECRETS } from './service-env';
export { readNatsUsers, NATS_PERMISSIONS, type SavedNatsUsers } from './nats-users';
