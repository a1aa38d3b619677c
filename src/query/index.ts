/** The read side: filters, queries, lookups and following, over any SessionReader. */
export { FILTER_PARAMS, FilterError, compileFilter, errorsOf, matchesFilter, parseFilter, parseTime, unknownParams } from './filter.js';
export type { RawFilter, SessionFilter } from './filter.js';
export { facets, querySessions, sortNewestFirst, summarize } from './query.js';
export type { Facets, Page, QueryResult, QuerySummary } from './query.js';
export { DEFAULT_GROUP_BY, computeStats, groupKeyOf, percentile } from './stats.js';
export type { Stats, StatsGroup } from './stats.js';
export { MIN_PREFIX, lookupEntry, lookupSession } from './lookup.js';
export type { Lookup, MatchedBy } from './lookup.js';
export { describeCorrupt, readAllIndex } from './scan.js';
export { ReaderConfigError, describeReader, readerFromEnv } from './reader.js';
export type { StoreReader } from './reader.js';
export { followIndex } from './follow.js';
export type { FollowOptions } from './follow.js';
export { IndexCache } from './index-cache.js';
export type { IndexCacheStats } from './index-cache.js';
