export * from './errors';
export * from './context/request-context';
export * from './logging/logger';
export * from './logging/log-serializers';
export * from './pagination/cursor';
export * from './reference-data';
export * from './time/clock';
export * from './process/shutdown';
