export * from './harness';
export * from './seed';
