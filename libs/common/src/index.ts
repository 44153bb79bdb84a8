export * from './errors';
export * from './context/request-context';
export * from './context/clinic-admin';
export * from './logging/logger';
export * from './pagination/cursor';
export * from './reference-data';
export * from './time/clock';
export * from './process/shutdown';
