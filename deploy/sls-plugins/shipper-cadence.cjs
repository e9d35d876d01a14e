'use strict';
/**
 * At package time (`sls package` and `sls deploy`), refuses a stage whose `idleFlushIntervalMs` the
 * launcher would refuse for every job (docs/shipper.md, "Fresh when watched"): a bad value fails
 * the deploy, not each job's start. The check is the launcher's own (shared/launcher/cadence.ts,
 * loaded through tsx), given the resolved `custom.shipper` value.
 */
const path = require('node:path');

class ShipperCadencePlugin {
  constructor(serverless) {
    this.serverless = serverless;
    this.hooks = { 'before:package:initialize': () => this.check() };
  }

  check() {
    const value = this.serverless.service.custom?.shipper?.idleFlushIntervalMs;
    const { require: load } = require('tsx/cjs/api');
    const cadence = load(path.join(this.serverless.serviceDir, 'shared', 'launcher', 'cadence.ts'), __filename);
    try {
      cadence.parseIdleFlushIntervalMs(value);
    } catch (error) {
      const stage = this.serverless.getProvider('aws').getStage();
      throw new this.serverless.classes.Error(`Stage ${stage}: idleFlushIntervalMs: ${error.message}`);
    }
  }
}

module.exports = ShipperCadencePlugin;
