export * from './api/errors';
