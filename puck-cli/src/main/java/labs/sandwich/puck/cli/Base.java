package labs.sandwich.puck.cli;

import java.io.PrintWriter;
import java.time.Duration;
import java.util.concurrent.Callable;
import labs.sandwich.puck.Puck;
import labs.sandwich.puck.api.Snapshot;
import labs.sandwich.puck.api.SnapshotNotFoundException;
import labs.sandwich.puck.api.Sprite;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** What every command shares: the global options, the output streams, progress lines. */
abstract class Base implements Callable<Integer> {
    @Mixin
    Global global;

    @Spec
    CommandSpec spec;

    /** The caller's streams and terminal (set by {@link PuckCommand#commandLine(Io, Puck, java.nio.file.Path)}). */
    Io io = Io.LOCAL;

    /** puckd's open Puck when puckd runs this command for a client; else each command opens its own. */
    @Nullable Puck shared;

    PrintWriter out() {
        return spec.commandLine().getOut();
    }

    PrintWriter err() {
        return spec.commandLine().getErr();
    }

    /** A progress line, on a terminal only: pipes and --json stay quiet. */
    void progress(String line) {
        if (!global.json && io.isTerminal(2)) {
            err().println(line);
            err().flush();
        }
    }

    /** Prints the text line, or the JSON value with --json. */
    void result(String text, Object json) {
        if (global.json) {
            Out.json(out(), json);
        } else {
            out().println(text);
            out().flush();
        }
    }

    @Override
    public final Integer call() throws Exception {
        if (shared != null && needsPuck()) {
            return run(shared);
        }
        try (Puck puck = needsPuck() ? global.open() : null) {
            return run(puck);
        }
    }

    boolean needsPuck() {
        return true;
    }

    abstract int run(Puck puck) throws Exception;

    static long ms(long startNanos) {
        return Duration.ofNanos(System.nanoTime() - startNanos).toMillis();
    }

    /** @return the sprite's snapshot with that id, else its newest with that label */
    static Snapshot snapshot(Sprite s, String idOrLabel) {
        var all = s.snapshots();
        return all.stream().filter(x -> x.id().value().equals(idOrLabel)).findFirst()
                .or(() -> all.reversed().stream().filter(x -> x.label().equals(idOrLabel)).findFirst())
                .orElseThrow(() -> new SnapshotNotFoundException(s.name(), idOrLabel));
    }
}
