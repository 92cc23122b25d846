// Every PMS the console can onboard: the fields of its `CredentialsInput` variant, with the help
// text a property manager needs to find each value. One entry per PMS; the picker shows only the
// PMSs whose variant the served schema has (`coming` entries are not in today's schema).

export const PMS = [
  {
    input: 'entrata',
    pms: 'ENTRATA',
    name: 'Entrata',
    about: 'Entrata API access: a username and password, or an API key.',
    fields: [
      { name: 'baseUrl', label: 'API base URL', required: true, example: 'https://acme.entrata.com',
        help: 'In Entrata, Settings › API access shows it: https://{org}.entrata.com, or https://apis.entrata.com/ext/orgs/{org}.' },
      { name: 'username', label: 'API username', example: 'pmsgraph_api',
        help: 'The API user your Entrata administrator created under Settings › API access › Users. Leave empty when you use an API key.' },
      { name: 'password', label: 'API password', secret: true,
        help: 'That API user\'s password (set by the Entrata administrator).' },
      { name: 'apiKey', label: 'API key', secret: true,
        help: 'Instead of a username and password: the key under Settings › API access › API keys.' },
    ],
  },
  {
    input: 'yardi',
    pms: 'YARDI',
    name: 'Yardi Voyager',
    about: 'A Yardi interface license for ItfResidentData and ItfResidentTransactions20, with access to each property.',
    fields: [
      { name: 'serviceUrl', label: 'Web service URL', required: true, example: 'https://www.yardiasp14.com/21253acme/Webservices',
        help: 'Your Yardi administrator finds it in Voyager under Administration › Interface configuration: https://{host}/{database}/Webservices.' },
      { name: 'serverName', label: 'Server name', required: true, example: 'acme_live',
        help: 'The SQL server name Yardi gave with the interface login (ServerName).' },
      { name: 'database', label: 'Database', required: true, example: 'acme_live',
        help: 'The Voyager database name (Database), from the same interface login.' },
      { name: 'username', label: 'Interface username', required: true, example: 'pmsgraphws',
        help: 'The web-service user Yardi created for the interface (Administration › Interface users).' },
      { name: 'password', label: 'Interface password', required: true, secret: true,
        help: 'That interface user\'s password.' },
      { name: 'platform', label: 'Platform', example: 'SQL Server',
        help: 'SQL Server (the default) or Oracle: ask your Yardi administrator.' },
      { name: 'interfaceEntity', label: 'Interface entity', required: true, example: 'pmsgraph',
        help: 'The vendor entity name registered with Yardi for this interface license.' },
      { name: 'interfaceLicense', label: 'Interface license key', required: true, secret: true,
        help: 'The license key Yardi issued for the interface (Administration › Interface licenses).' },
      { name: 'propertyCodes', label: 'Property codes', list: true, example: 'ca001, ca002',
        help: 'Comma-separated Yardi property codes to sync; empty: every property the interface may read.' },
    ],
  },
  {
    input: 'realPage',
    pms: 'REAL_PAGE',
    name: 'RealPage',
    about: 'RealPage RPX gateway access (OneSite) for your management company and its sites.',
    fields: [
      { name: 'gatewayUrl', label: 'RPX gateway URL', required: true, example: 'https://gateway.rpx.realpage.com',
        help: 'https://gateway.rpx.realpage.com unless RealPage gave you another gateway with the partner registration (the partner\'s whole .svc URL works too).' },
      { name: 'partner', label: 'Partner name', required: true, example: 'acmepartner',
        help: 'The RPX partner name RealPage registered for this integration: the {Partner} in /rpxgateway/partner/{Partner}/{Partner}.svc.' },
      { name: 'pmcId', label: 'PMC ID', required: true, example: '1234567',
        help: 'Your management company\'s id (pmcid): RealPage\'s RPX onboarding email names it; in OneSite it is under Company › Company information.' },
      { name: 'siteId', label: 'Site ID', required: true, example: '7654321',
        help: 'The OneSite id of one of your sites (siteid), shown under Site › Site information; it is used to list the others.' },
      { name: 'licenseKey', label: 'License key', required: true, secret: true,
        help: 'The RPX license key RealPage issued for this partner integration (licensekey).' },
      { name: 'siteIds', label: 'Site IDs', list: true, example: '7654321, 7654322',
        help: 'Comma-separated OneSite site ids to sync; empty: every site the license lists.' },
    ],
  },
  {
    input: 'buildium',
    pms: 'BUILDIUM',
    name: 'Buildium',
    about: 'A Buildium API key (client id and secret).',
    fields: [
      { name: 'baseUrl', label: 'API base URL', required: true, example: 'https://api.buildium.com',
        help: 'https://api.buildium.com (or the sandbox, https://apisandbox.buildium.com).' },
      { name: 'clientId', label: 'Client ID', required: true,
        help: 'In Buildium, Settings › Developer tools › API keys: the key\'s client ID.' },
      { name: 'clientSecret', label: 'Client secret', required: true, secret: true,
        help: 'The secret shown once when the API key is created.' },
    ],
  },
];

/** The PMSs the served schema accepts credentials for (`inputs`: its `CredentialsInput` fields). */
export function available(inputs) {
  return inputs ? PMS.filter((p) => inputs.includes(p.input)) : PMS.filter((p) => !p.coming);
}

export function byPms(pms) {
  return PMS.find((p) => p.pms === pms);
}

/** The `CredentialsInput` of a PMS from the form's values (empty optional fields left out). */
export function credentials(pms, values) {
  const fields = {};
  for (const field of pms.fields) {
    const raw = (values[field.name] || '').trim();
    if (field.list) fields[field.name] = raw ? raw.split(',').map((s) => s.trim()).filter(Boolean) : [];
    else if (raw || field.required) fields[field.name] = field.secret ? values[field.name] || '' : raw;
  }
  return { [pms.input]: fields };
}
