import { describe, expect, it } from 'vitest';
import { checkClusterAuth, checkDeclaredKind, kindOf, parseClusterKind, UnsupportedClusterError } from '../../../../../shared/core/cluster/index.js';

describe('cluster kinds', () => {
  it.each([
    [{ product: 'elasticsearch', version: '9.2.0' }, 'es-9'],
    [{ product: 'elasticsearch', version: '9.0.0' }, 'es-9'],
    [{ product: 'elasticsearch', version: '8.19.0' }, 'es-8'],
    [{ product: 'elasticsearch', version: '8.19.7' }, 'es-8'],
    [{ product: 'opensearch', version: '2.19.3' }, 'opensearch-2'],
    [{ product: 'opensearch', version: '2.7.0' }, 'opensearch-2'],
  ] as const)('recognises %o as %s', (identity, kind) => {
    expect(kindOf(identity)).toBe(kind);
  });

  it.each([
    [{ product: 'elasticsearch', version: '8.18.3' }, /Elasticsearch 8.18.3 is too old for es-8: it needs Elasticsearch 8.19\+/],
    [{ product: 'elasticsearch', version: '7.17.0' }, /Elasticsearch 7.17.0 is not supported: joblogs runs on es-8 .*es-9 .*opensearch-2/],
    [{ product: 'opensearch', version: '2.5.0' }, /OpenSearch 2.5.0 is too old for opensearch-2: it needs OpenSearch 2.7\+/],
    [{ product: 'opensearch', version: '3.1.0' }, /OpenSearch 3.1.0 is not supported/],
    [{ product: 'elasticsearch', version: '10.0.0' }, /not supported/],
  ] as const)('refuses %o, saying what it runs on', (identity, message) => {
    expect(() => kindOf(identity)).toThrow(UnsupportedClusterError);
    expect(() => kindOf(identity)).toThrow(message);
  });

  it('refuses a stage that declares another kind than the cluster is, naming the setting to change', () => {
    expect(() => checkDeclaredKind('es-9', { product: 'elasticsearch', version: '8.19.0' })).toThrow(
      'The stage declares clusterKind es-9, but the cluster is Elasticsearch 8.19.0: set clusterKind: es-8',
    );
    expect(() => checkDeclaredKind('es-9', { product: 'opensearch', version: '2.19.3' })).toThrow(/set clusterKind: opensearch-2/);
    expect(checkDeclaredKind('opensearch-2', { product: 'opensearch', version: '2.19.3' })).toBe('opensearch-2');
  });

  it('names the kinds it knows when given another, and allows IAM only with OpenSearch', () => {
    expect(() => parseClusterKind('elasticsearch')).toThrow(
      'Unknown cluster kind "elasticsearch": use one of es-8 (Elasticsearch 8.19+), es-9 (Elasticsearch 9.x), opensearch-2 (OpenSearch 2.7+)',
    );
    expect(() => checkClusterAuth('es-8', 'iam')).toThrow(/iam \(SigV4\) is for Amazon OpenSearch Service/);
    expect(() => checkClusterAuth('opensearch-2', 'iam')).not.toThrow();
    expect(() => checkClusterAuth('es-9', 'secret')).not.toThrow();
  });
});
