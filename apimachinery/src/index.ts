export * from './api/errors';
export * from './labels/selector';
export * as labelValidation from './labels/validation';
export * from './fields/selector';
export * from './quantity/quantity';
export * from './openapi/types';
export * from './openapi/schema';
export * from './openapi/fieldvalidation';
