package org.bess.tools;

import java.nio.file.Path;
import picocli.CommandLine.Option;

/** The {@code --node-dir DIR} option of commands that talk to (or read the files of) a node server. */
final class NodeDirOptions {
    @Option(names = "--node-dir", required = true, paramLabel = "DIR", description = "the node directory of the server")
    Path nodeDir;
}
