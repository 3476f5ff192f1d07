package labs.sandwich.puck.cli;

import java.util.List;
import labs.sandwich.puck.Puck;
import labs.sandwich.puck.api.Snapshot;
import labs.sandwich.puck.api.Sprite;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code puck snapshot create|list|restore|delete}. */
@Command(name = "snapshot", description = "Take, list, restore and delete snapshots (memory, files and volumes).",
        subcommands = {SnapshotCommand.Create.class, SnapshotCommand.ListCmd.class, SnapshotCommand.Restore.class, SnapshotCommand.Delete.class})
final class SnapshotCommand {
    @Command(name = "create", description = "Snapshot a sprite (waking it first); it keeps running.")
    static final class Create extends Base {
        @Parameters(paramLabel = "NAME")
        String name;

        @Option(names = {"-l", "--label"}, paramLabel = "LABEL", description = "Default: snapshot.")
        String label = "snapshot";

        @Override
        int run(Puck puck) {
            progress("snapshotting " + name + "…");
            long t = System.nanoTime();
            Snapshot s = puck.get(name).snapshot(label);
            long took = ms(t);
            result("snapshot " + s.id().value() + " (" + label + ", " + Out.bytes(s.sizeBytes()) + ") of " + name + " in " + took + " ms",
                    Out.map("snapshot", Out.snapshot(s), "tookMs", took));
            return ExitCodes.OK;
        }
    }

    @Command(name = "list", aliases = "ls", description = "List a sprite's snapshots, oldest first.")
    static final class ListCmd extends Base {
        @Parameters(paramLabel = "NAME")
        String name;

        @Override
        int run(Puck puck) {
            List<Snapshot> all = puck.get(name).snapshots();
            if (global.json) {
                Out.json(out(), all.stream().map(Out::snapshot).toList());
            } else if (all.isEmpty()) {
                out().println("no snapshots of " + name + "; take one with `puck snapshot create " + name + "`");
                out().flush();
            } else {
                Out.table(out(), List.of("ID", "LABEL", "CREATED", "SIZE"),
                        all.stream().map(s -> List.of(s.id().value(), s.label(), s.createdAt().toString(), Out.bytes(s.sizeBytes()))).toList());
            }
            return ExitCodes.OK;
        }
    }

    @Command(name = "restore", description = "Put a sprite back to a snapshot: memory, files and volumes (checksum verified first).")
    static final class Restore extends Base {
        @Parameters(index = "0", paramLabel = "NAME")
        String name;

        @Parameters(index = "1", paramLabel = "SNAPSHOT", description = "Its id or label (the newest with that label).")
        String snapshot;

        @Override
        int run(Puck puck) {
            Sprite s = puck.get(name);
            Snapshot snap = snapshot(s, snapshot);
            progress("restoring " + name + " to " + snap.label() + "…");
            long t = System.nanoTime();
            s.restore(snap);
            long took = ms(t);
            result("restored " + name + " to " + snap.id().value() + " (" + snap.label() + ") in " + took + " ms",
                    Out.map("sprite", name, "snapshot", Out.snapshot(snap), "tookMs", took));
            return ExitCodes.OK;
        }
    }

    @Command(name = "delete", aliases = "rm", description = "Delete a snapshot and its data.")
    static final class Delete extends Base {
        @Parameters(index = "0", paramLabel = "NAME")
        String name;

        @Parameters(index = "1", paramLabel = "SNAPSHOT", description = "Its id or label.")
        String snapshot;

        @Override
        int run(Puck puck) {
            Sprite s = puck.get(name);
            Snapshot snap = snapshot(s, snapshot);
            s.deleteSnapshot(snap);
            result("deleted snapshot " + snap.id().value() + " (" + snap.label() + ") of " + name, Out.map("deleted", Out.snapshot(snap)));
            return ExitCodes.OK;
        }
    }
}
