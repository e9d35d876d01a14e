export { JobAlreadyRegisteredError, registerJob } from './register.js';
export type { RegisterJobOptions } from './register.js';
export { JOB_TAG, producerCredentials } from './credentials.js';
export type { ProducerCredentialsOptions } from './credentials.js';
