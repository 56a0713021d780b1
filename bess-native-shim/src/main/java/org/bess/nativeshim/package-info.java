/**
 * The libc calls bess needs, through JNR-FFI, behind one checked facade ({@link org.bess.nativeshim.Native}) that turns
 * a failed call into a {@link org.bess.nativeshim.NativeException} naming the call, the errno and the arguments.
 *
 * <p>{@link org.bess.nativeshim.AddressSpace} reserves the per-process range in which virtual frames live and maps file
 * pages at fixed addresses inside it; {@link org.bess.nativeshim.MappedFile} creates and opens the files that are
 * mapped (cache and control files). Everything here is thread safe in the sense of libc: callers own the ranges they
 * map and unmap.
 */
package org.bess.nativeshim;
