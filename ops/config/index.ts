export { SETTINGS, type Setting, type SettingKey } from './settings.js';
export { loadConfig, envName, ConfigError, type LoadedConfig, type LoadOptions, type Source } from './load.js';
export { nodeConfig, type NodeConfig } from './node-config.js';
export { describeConfig, configTableMarkdown } from './describe.js';
