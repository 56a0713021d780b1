/**
 * Virtual frames: the pages of open storage areas as seen by this process, in one reserved address range with a window
 * per open area (DESIGN.md §3-4). {@link org.bess.client.frame.VirtualFrames} keeps a state byte per frame in a
 * per-window array, checked in software before every access, with {@code mprotect} keeping the hardware state in step;
 * {@link org.bess.client.frame.ObjectView} is the checked accessor over an object's bytes. Misses and first writes go
 * to a {@link org.bess.client.frame.FrameFaultHandler} (the engine in embedded mode).
 *
 * <p>Not thread safe: one session thread owns a process's frames.
 */
package org.bess.client.frame;
