/** Word lists for generated customers: small businesses and a few operators of critical infrastructure. */

export const TRADES = [
  'Bäckerei', 'Autohaus', 'Kanzlei', 'Praxis', 'Hotel', 'Brauerei', 'Verlag', 'Spedition', 'Apotheke',
  'Tischlerei', 'Gärtnerei', 'Weingut', 'Ingenieurbüro', 'Architekten', 'Steuerberatung', 'Reisebüro',
  'Optik', 'Fahrschule', 'Metzgerei', 'Buchhandlung', 'Modehaus', 'Elektro', 'Sanitär', 'Druckerei',
] as const;

export const SURNAMES = [
  'Huber', 'Maier', 'Gruber', 'Wagner', 'Bauer', 'Schmid', 'Berger', 'Hofer', 'Fischer', 'Weber', 'Koch',
  'Steiner', 'Moser', 'Winkler', 'Brunner', 'Lang', 'Wolf', 'Schuster', 'Lehner', 'Haas', 'Pichler',
  'Lehtonen', 'Virtanen', 'Korhonen', 'Nieminen', 'Mäkinen', 'Hämäläinen', 'Laine', 'Heikkinen',
  'Zimmermann', 'Hartmann', 'Krüger', 'Schäfer', 'Neumann', 'Schwarz', 'Braun', 'Hofmann', 'Vogel',
] as const;

export const TOWNS = [
  'Fürth', 'Erlangen', 'Bamberg', 'Ansbach', 'Schwabach', 'Amberg', 'Graz', 'Linz', 'Wels', 'Steyr',
  'Krems', 'Espoo', 'Vantaa', 'Tampere', 'Lahti', 'Kuopio', 'Regensburg', 'Passau', 'Bayreuth', 'Hof',
] as const;

/** Operators of critical infrastructure (KRITIS): their apps are critical. */
export const CRITICAL_KINDS = ['Stadtwerke', 'Klinikum', 'Wasserverband', 'Netzbetrieb', 'Verkehrsbetriebe'] as const;

/** Application stacks: compose services per replica and what one replica needs. */
export interface Stack {
  name: string;
  services: string[];
  cpu: number;
  memoryMiB: number;
  /** Typical size of the main data volume in GiB, 0 for stateless stacks. */
  dataGiB: number;
  health: string;
}

export const STACKS: readonly Stack[] = [
  { name: 'web', services: ['nginx'], cpu: 0.25, memoryMiB: 256, dataGiB: 0, health: '/' },
  { name: 'wordpress', services: ['nginx', 'php', 'mariadb', 'redis'], cpu: 1, memoryMiB: 1536, dataGiB: 20, health: '/wp-login.php' },
  { name: 'shop', services: ['nginx', 'app', 'worker', 'mariadb', 'redis', 'search'], cpu: 2, memoryMiB: 4096, dataGiB: 60, health: '/healthz' },
  { name: 'api', services: ['api', 'worker', 'postgres'], cpu: 1, memoryMiB: 2048, dataGiB: 30, health: '/healthz' },
  { name: 'cloud', services: ['nginx', 'app', 'postgres', 'redis', 'cron'], cpu: 2, memoryMiB: 3072, dataGiB: 250, health: '/status.php' },
  { name: 'portal', services: ['frontend', 'backend', 'postgres'], cpu: 1, memoryMiB: 2048, dataGiB: 15, health: '/healthz' },
  { name: 'mail', services: ['postfix', 'dovecot', 'rspamd', 'redis'], cpu: 1, memoryMiB: 2048, dataGiB: 120, health: '/' },
  { name: 'erp', services: ['app', 'worker', 'postgres', 'redis', 'reports'], cpu: 2, memoryMiB: 6144, dataGiB: 80, health: '/healthz' },
];

/** Lower-case id from a display name ("Bäckerei Müller" → "baeckerei-mueller"). */
export function slug(text: string): string {
  return text
    .toLowerCase()
    .replace(/ä/g, 'ae')
    .replace(/ö/g, 'oe')
    .replace(/ü/g, 'ue')
    .replace(/ß/g, 'ss')
    .normalize('NFKD')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 50)
    .replace(/-+$/, '');
}
