'use strict';
/**
 * The search cluster's part of `sls deploy` (README, "Search clusters"):
 * - at package time (`sls package` and `sls deploy`), refuses a stage whose `clusterKind` /
 *   `clusterAuth` / `clusterDomain` joblogs cannot run with, with what to change;
 * - right after `sls deploy` (and on demand: `sls es-setup --stage dev`), installs the stage's
 *   templates, retention and data view / index pattern on the cluster.
 *
 * The work lives in deploy/es-setup.ts and the checks in shared/core/cluster (TypeScript, loaded
 * through tsx); this plugin only passes them the resolved `custom.esSetup` values, so the template
 * and the setup step never disagree.
 */
const { spawnSync } = require('node:child_process');
const path = require('node:path');

class EsSetupPlugin {
  constructor(serverless, options, { log } = {}) {
    this.serverless = serverless;
    this.options = options;
    this.log = log ?? { notice: console.log, error: console.error };
    this.commands = {
      'es-setup': {
        usage: 'Install the index templates, retention and data view of the stage on its search cluster',
        lifecycleEvents: ['run'],
      },
    };
    this.hooks = {
      'before:package:initialize': () => this.check(),
      'after:deploy:deploy': () => this.run(),
      'es-setup:run': () => this.run(),
    };
  }

  settings() {
    return this.serverless.service.custom?.esSetup ?? {};
  }

  /** The stage's cluster parameters, checked by the same code the deploy step and the functions use. */
  check() {
    const settings = this.settings();
    const { require: load } = require('tsx/cjs/api');
    const kinds = load(path.join(this.serverless.serviceDir, 'shared', 'core', 'cluster', 'kinds.ts'), __filename);
    try {
      const kind = kinds.parseClusterKind(String(settings.clusterKind));
      const auth = kinds.parseClusterAuth(String(settings.clusterAuth));
      kinds.checkClusterAuth(kind, auth);
      if (auth === 'iam' && (!settings.clusterDomain || settings.clusterDomain === 'none')) {
        throw new Error('clusterAuth iam grants the functions access to one Amazon OpenSearch Service domain: set the clusterDomain parameter to its name');
      }
    } catch (error) {
      throw new this.serverless.classes.Error(`Stage ${this.stage()}: ${error.message}`);
    }
  }

  stage() {
    return this.serverless.getProvider('aws').getStage();
  }

  run() {
    const settings = this.settings();
    const stage = this.stage();
    const region = this.serverless.getProvider('aws').getRegion();
    const args = [
      'tsx',
      path.join(this.serverless.serviceDir, 'deploy', 'es-setup.ts'),
      '--stage',
      stage,
      '--region',
      region,
      '--node',
      String(settings.node),
      '--retention-days',
      String(settings.retentionDays),
      '--cluster-kind',
      String(settings.clusterKind),
      '--auth',
      String(settings.clusterAuth),
    ];
    if (settings.clusterAuth !== 'iam' && settings.credentialsParam) args.push('--credentials-param', String(settings.credentialsParam));
    // The data view / index pattern the signer's Discover links open (custom.esSetup.kibanaUrl / dataViewId).
    if (settings.kibanaUrl) args.push('--kibana-url', String(settings.kibanaUrl));
    if (settings.dataViewId) args.push('--data-view-id', String(settings.dataViewId));
    this.log.notice(`es-setup: installing the templates of stage ${stage} on ${settings.node} (${settings.clusterKind})`);
    const result = spawnSync('npx', args, { cwd: this.serverless.serviceDir, stdio: 'inherit', env: process.env });
    if (result.status !== 0) {
      throw new this.serverless.classes.Error(
        `es-setup failed (exit ${result.status ?? result.signal}); the stack is deployed, rerun with: sls es-setup --stage ${stage}`,
      );
    }
  }
}

module.exports = EsSetupPlugin;
