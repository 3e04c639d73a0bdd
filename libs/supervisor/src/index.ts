export * from './system';
export * from './service-process';
export { seedDemo, DEMO_MODEL } from './seed';
