/**
 * Public list prices the cost model uses (docs/cost.md). They are parameters, not truths: each
 * figure names where it comes from and when it was read; pass your own (`npm run cost -- --prices
 * file.json`) for another region, a discount or a later price list.
 */
export interface Prices {
  /** When and where these prices were read. */
  asOf: string;
  region: string;
  s3: { putPer1000: number; getPer1000: number; storageGbMonth: number };
  sqs: { perMillionRequests: number };
  /** arm64 (the template's `provider.architecture`). */
  lambda: { gbSecond: number; perMillionRequests: number };
  /** Search cluster storage (EBS gp3 on Amazon OpenSearch Service), per GB-month of each copy. */
  search: { storageGbMonth: number; replicas: number };
  /** CloudWatch Logs: ingestion per GB, archived storage per GB-month of what it stores (compressed). */
  cloudwatch: { ingestPerGb: number; storageGbMonth: number; storedFraction: number };
}

/** US East (N. Virginia) list prices, standard tiers, without free tiers or discounts. */
export const LIST_PRICES: Prices = {
  asOf: '2026-11 (AWS public price pages: S3, SQS, Lambda, OpenSearch Service, CloudWatch)',
  region: 'us-east-1',
  // S3 Standard: PUT/COPY/POST/LIST $0.005 per 1 000, GET $0.0004 per 1 000, first 50 TB $0.023/GB-month.
  s3: { putPer1000: 0.005, getPer1000: 0.0004, storageGbMonth: 0.023 },
  // SQS standard queue: $0.40 per million requests (each 64 KiB of payload is one request).
  sqs: { perMillionRequests: 0.4 },
  // Lambda arm64: $0.0000133334 per GB-second, $0.20 per million requests.
  lambda: { gbSecond: 0.0000133334, perMillionRequests: 0.2 },
  // OpenSearch Service gp3 storage $0.122/GB-month per copy; one replica.
  search: { storageGbMonth: 0.122, replicas: 1 },
  // CloudWatch Logs standard: $0.50/GB ingested, $0.03/GB-month archived (stored compressed, ~15 % of the raw size).
  cloudwatch: { ingestPerGb: 0.5, storageGbMonth: 0.03, storedFraction: 0.15 },
};
