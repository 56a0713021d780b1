/**
 * The command-line tools behind the {@code bess} launcher: {@link org.bess.tools.BessAdmin} ({@code ./bess admin},
 * the {@code bess-admin} command, one class per subcommand) and {@link org.bess.tools.DemoMain} ({@code ./bess demo},
 * for now a readable self-check of the native shim).
 *
 * <p>Everything here runs on the main thread of a short-lived process and may print to the console; the library
 * modules may not.
 */
package org.bess.tools;
