/** The local stack: a search cluster (any kind) + moto provisioned from the packaged template, and clients bound to it. */
export { awsLocalEnv, localAwsConfig, localS3Client, localSqsClient, localSsmClient, type MotoEndpoint } from './aws.js';
export { cfnLint, CFN_LINT_REQUIREMENT, ensureCfnLint, type CfnLintFinding } from './cfn-lint.js';
export {
  handlerModule,
  readEventSourceMapping,
  readFunction,
  resolveConditions,
  resolveIntrinsics,
  resource,
  resourcesOfType,
  type CfnResource,
  type CfnTemplate,
} from './cfn.js';
export { localResolver } from './provision.js';
export { clusterChecksCredentials, defaultClusterKind, requestedClusterKind, type EsInstance } from './cluster.js';
export { down, ensureStackUp, stackDown, stackIsUp, stackUp, status, up, withLocalStack } from './lifecycle.js';
export { loadStack, purgeQueues, startSearchClusterAgain, stopSearchCluster, type LocalStack } from './local-stack.js';
export { withLock } from './lock.js';
export { isOurProcess } from './process.js';
export { MOTO_ACCOUNT_ID, MOTO_REQUIREMENT, type MotoInstance } from './moto.js';
export { ensurePythonClient, PYTHON_CLIENT_DIR } from './python-client.js';
export { ensureTemplate, packageDir, packageService, readTemplate, templatePath, TEMPLATE_FILE, type PackageOptions } from './package.js';
export { readServerlessYml, stageParam, type ServerlessYml } from './serverless-yml.js';
export { readStackFile, writeStackFile, type LocalFunction, type ProvisionedResources, type ProvisionedStack, type StackInfo } from './stack-file.js';
