package labs.sandwich.puck.cli;

import java.nio.file.Path;
import labs.sandwich.puck.Puck;
import picocli.CommandLine.Option;

/** Options every command takes. */
final class Global {
    @Option(names = "--json", description = "Print JSON instead of text.")
    boolean json;

    @Option(names = "--debug", description = "On an error, print the stack trace too.")
    boolean debug;

    @Option(names = "--store", paramLabel = "FILE", description = "The state store (default: PUCK_STORE, else ~/.local/share/puck/puck.db).")
    Path store;

    @Option(names = "--runtime", paramLabel = "NAME", description = "The runtime to use (default: PUCK_RUNTIME, else the best available).")
    String runtime;

    /** @return Puck on the chosen store and runtime; close it */
    Puck open() {
        return builder().build();
    }

    Puck.Builder builder() {
        Puck.Builder b = Puck.builder();
        if (store != null) {
            b.store(store);
        }
        if (runtime != null) {
            b.runtime(runtime);
        }
        return b;
    }

    /** @return the store file this command uses */
    Path storeFile() {
        return StorePath.resolve(java.util.Optional.ofNullable(store));
    }
}
