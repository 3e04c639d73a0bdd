export * from './subjects';
export * from './errors';
export * from './events';
export * from './rpc';
export * from './usage';
export * from './admin';
export * from './virtual-key';
export * from './validation';
