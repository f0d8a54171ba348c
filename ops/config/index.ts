export { SETTINGS, type Setting, type SettingKey } from './settings.js';
export { loadConfig, envName, ConfigError, ConfigErrors, type LoadedConfig, type LoadOptions, type Source } from './load.js';
export { nodeConfig, type NodeConfig } from './node-config.js';
export { describeConfig, configTableMarkdown, SECRET_MISSING, SECRET_SET, type ConfigRow } from './describe.js';
export { bindErrorMessage } from './bind-error.js';
export { nodeTls, type EdgeTls, type LinkTlsFiles } from './tls-files.js';
