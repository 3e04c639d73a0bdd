export * from './logger';
export * from './config';
export * from './bootstrap';
