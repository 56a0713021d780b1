/**
 * The {@link org.bess.exceptions.BessException} hierarchy and its stable {@link org.bess.exceptions.ErrorCode}s. Every
 * bess failure a caller can act on has a code; messages name the objects involved.
 */
package org.bess.exceptions;
