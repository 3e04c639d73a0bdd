import { AuditEventsQuery, AuditExportQuery } from '@sluice/contracts';
import { errors, ok, type Paths } from '../openapi/openapi-helpers';
import { queryParams } from '../openapi/query-params';

export const auditPaths: Paths = {
  '/admin/v1/audit/events': {
    get: {
      summary: 'Sealed events of the log in chain order, with their hashes (keyset paging on seq)',
      parameters: queryParams(AuditEventsQuery),
      responses: {
        '200': ok(
          '{data: [{seq, position, eventId, type, streamId, version, schemaVersion, data, metadata, recordedAt, prevHash, hash}], nextCursor}',
        ),
        ...errors,
      },
    },
  },
  '/admin/v1/audit/export': {
    get: {
      summary:
        'Stream every matching event as NDJSON (one audit event per line) or CSV, with the chain data to verify it offline',
      parameters: queryParams(AuditExportQuery),
      responses: { '200': ok('application/x-ndjson or text/csv'), ...errors },
    },
  },
  '/admin/v1/audit/verify': {
    get: {
      summary:
        'Recompute the hash chain over the whole log and name the first position that does not match (owners and auditors)',
      responses: {
        '200': ok('{ok, checked, head: {seq, position, hash}, firstBreak: {position, seq, reason} | null}'),
        ...errors,
      },
    },
  },
};
