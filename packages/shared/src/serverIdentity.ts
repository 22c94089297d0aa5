/**
 * The identity of writes the server makes itself (compensations, migrations, settlements, order
 * statuses, and the Yjs client ids of HTTP patches and restores). Not a valid user id (NAME1), so
 * no person can hold it.
 */
export const SERVER_IDENTITY = '@server';
