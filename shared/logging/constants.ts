/** Dataset of platform servers' own logs: data stream `logs-mlplatform.service-<stage>`. */
export const SERVICE_DATASET = 'mlplatform.service';
