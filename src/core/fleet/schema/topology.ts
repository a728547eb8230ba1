/** Providers, facilities, sites and declared risk groups: where hosts physically run. */
import { z } from 'zod';
import { Bitrate, Country, Description, Id, RiskGroupRefs } from './common.js';

export const Provider = z
  .strictObject({
    id: Id.describe('Short name used in references, e.g. "provider-a".'),
    name: z.string().optional().describe('Display name of the company.'),
    description: Description.optional(),
  })
  .describe('A commercial provider: losing it (contract, insolvency, outage) is one failure scenario.');

export const Facility = z
  .strictObject({
    id: Id.describe('Short name used in references, e.g. "nbg-dc1".'),
    name: z.string().optional().describe('Display name of the data centre.'),
    operator: Id.describe('The provider that runs the building: sites of other providers inside it share its fate.'),
    country: Country.describe('Where the building is (ISO 3166 code).'),
    city: z.string().optional().describe('City of the building.'),
    riskGroups: RiskGroupRefs.optional(),
    description: Description.optional(),
  })
  .describe('A physical data centre. Every site names the facility it sits in.');

export const BackupRepository = z
  .strictObject({
    url: z
      .string()
      .min(1)
      .optional()
      .describe('Where this site keeps the restic repositories of other sites\' apps: "sftp:USER@{address}:/PATH" ({address} is the backup host\'s address) or a path every app host can reach (mounted storage). Each app gets URL/<customer>/<app>. Default "sftp:restic@{address}:/srv/restic".'),
    host: Id.optional().describe('The backup host {address} stands for (default: the site\'s first host with role backup).'),
    sshPort: z.number().int().min(1).max(65535).optional().describe('The backup host\'s ssh port for sftp (default 22).'),
  })
  .describe('The restic repositories of a site, for apps that back up to it (backup.to).');

export const Site = z
  .strictObject({
    id: Id.describe('Short name used in references, e.g. "nue".'),
    name: z.string().optional().describe('Display name, e.g. "Nuremberg".'),
    provider: Id.describe('The provider whose site this is (an id from providers).'),
    facility: Id.describe('The facility the site physically sits in (an id from facilities); may be run by another provider.'),
    country: Country.describe('Country of the site (ISO 3166 code); must match its facility.'),
    city: z.string().optional().describe('City of the site.'),
    prefixes: z
      .array(z.string().describe('An IPv4 prefix in CIDR notation, e.g. "198.18.0.0/23".'))
      .default([])
      .describe('IPv4 prefixes routed to this site; the site template is carved out of them. Every site but a witness needs at least one.'),
    witness: z
      .boolean()
      .default(false)
      .describe(
        'A witness site: a vantage point, not a place for apps. Its prober counts in the quorum that declares another site lost, so put it at a third provider: then the loss of one provider still leaves two sites that see it, and standby apps fail over. It has no prefixes and gets no segments, proxies, apps or backups; its hosts have role management and a fixed public address.',
      ),
    uplink: Bitrate.optional().describe('Bandwidth of the site uplink, e.g. "10Gbit/s" (used to estimate migrations).'),
    riskGroups: RiskGroupRefs.optional(),
    backupRepository: BackupRepository.optional(),
    description: Description.optional(),
  })
  .describe('A site: one provider location with its own routed prefixes, hosts and edge proxies.');

export const RiskGroup = z
  .strictObject({
    id: Id.describe('Short name used in references, e.g. "feed-a".'),
    kind: z.string().optional().describe('What is shared, e.g. "power", "carrier", "rack".'),
    description: Description.optional(),
  })
  .describe('An extra shared-fate group: everything that names it fails together.');
