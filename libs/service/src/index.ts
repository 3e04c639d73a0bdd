export * from './logger';
export * from './config';
export * from './bootstrap';
export { closeAfterAnswer, closeLingering } from './lingering-close';
export * from './json-depth';
export * from './json-bytes';
export * from './request-body';
export * from './provide';
export { mapStackTraces } from './stack-traces';
