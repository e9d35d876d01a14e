'use strict';
/**
 * Installs the Elasticsearch index templates of a stage right after `sls deploy`
 * (and on demand: `sls es-setup --stage dev`).
 *
 * The work lives in deploy/es-setup.ts (TypeScript, ESM); this plugin only passes it the
 * resolved `custom.esSetup` values, so the template and the setup step never disagree.
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
        usage: 'Install the Elasticsearch index templates of the stage',
        lifecycleEvents: ['run'],
      },
    };
    this.hooks = {
      'after:deploy:deploy': () => this.run(),
      'es-setup:run': () => this.run(),
    };
  }

  run() {
    const service = this.serverless.service;
    const settings = service.custom?.esSetup ?? {};
    const stage = this.serverless.getProvider('aws').getStage();
    const region = this.serverless.getProvider('aws').getRegion();
    const args = [
      'tsx',
      path.join(this.serverless.serviceDir, 'deploy', 'es-setup.ts'),
      '--stage', stage,
      '--region', region,
      '--node', String(settings.node),
      '--retention-days', String(settings.retentionDays),
    ];
    if (settings.credentialsParam) args.push('--credentials-param', String(settings.credentialsParam));
    // The Kibana data view the signer's Discover links open (custom.esSetup.kibanaUrl / dataViewId).
    if (settings.kibanaUrl) args.push('--kibana-url', String(settings.kibanaUrl));
    if (settings.dataViewId) args.push('--data-view-id', String(settings.dataViewId));
    this.log.notice(`es-setup: installing index templates for stage ${stage} on ${settings.node}`);
    const result = spawnSync('npx', args, { cwd: this.serverless.serviceDir, stdio: 'inherit', env: process.env });
    if (result.status !== 0) {
      throw new this.serverless.classes.Error(
        `es-setup failed (exit ${result.status ?? result.signal}); the stack is deployed, rerun with: sls es-setup --stage ${stage}`,
      );
    }
  }
}

module.exports = EsSetupPlugin;
