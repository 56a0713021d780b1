/**
 * The public API of bess: {@link org.bess.client.Session}, {@link org.bess.client.Database}, {@link
 * org.bess.client.Transaction}, {@link org.bess.client.BessFile}, {@link org.bess.client.ObjectRef}, {@link
 * org.bess.client.Ref}, {@link org.bess.client.Cursor} and {@link org.bess.client.LargeObject}. The same interfaces
 * serve an embedded server ({@code BessServer.embedded}) and, with the node daemon, the two client modes ({@link
 * org.bess.client.Bess#connect}).
 *
 * <p>Sessions and everything reached from them are confined to one thread at a time; a large object's asynchronous
 * operations run on the engine's I/O thread, in order, after the calls made before them.
 */
package org.bess.client;
