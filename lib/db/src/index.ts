// Where a service keeps its projection of the log: embedded SQLite by default, PostgreSQL when DATABASE_URL
// names one; one set of queries (Kysely) for both, versioned migrations, and the checkpoint in every transaction.
export { databaseConfig, type DatabaseSettings } from './config';
export { openDatabase, type Database } from './database';
export { DatabaseUnavailableError, recordedAfterPublish } from './errors';
export { emptyProjection, migrate, type Migrations, type SchemaDb } from './migrate';
export { openProjection, type Projection } from './projection';
export { sql, type Kysely, type Migration, type Selectable, type Transaction } from 'kysely';
