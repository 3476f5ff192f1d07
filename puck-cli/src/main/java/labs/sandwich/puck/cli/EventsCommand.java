package labs.sandwich.puck.cli;

import java.util.List;
import labs.sandwich.puck.Puck;
import labs.sandwich.puck.api.Change;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code puck events}: the journal of every sprite's changes, from every process, optionally followed. */
@Command(name = "events", description = "Show state changes of every sprite, from every process using the store; --follow waits for more.")
final class EventsCommand extends Base {
    @Option(names = {"-f", "--follow"}, description = "Keep printing new changes until interrupted.")
    boolean follow;

    @Option(names = "--sprite", paramLabel = "NAME", description = "Only this sprite's.")
    String sprite;

    @Option(names = {"-n", "--lines"}, paramLabel = "N", description = "Start with the last N (default 10).")
    int lines = 10;

    @Override
    int run(Puck puck) throws InterruptedException {
        long last = 0;
        List<Change> all = new java.util.ArrayList<>();
        for (List<Change> page; !(page = puck.changesAfter(last, 1000)).isEmpty(); last = page.getLast().sequence()) {
            all.addAll(page);
            if (all.size() > 10 * Math.max(lines, 100)) {
                all = new java.util.ArrayList<>(all.subList(all.size() - lines, all.size()));
            }
        }
        List<Change> mine = all.stream().filter(this::wanted).toList();
        mine = mine.subList(Math.max(0, mine.size() - lines), mine.size());
        // A change still running is printed once it has ended, so that each line says how it ended.
        long cursor = mine.stream().filter(c -> c.to().isEmpty()).mapToLong(c -> c.sequence() - 1).min().orElse(last);
        java.util.Set<Long> printed = new java.util.HashSet<>();
        mine.stream().filter(c -> c.to().isPresent()).forEach(c -> {
            printed.add(c.sequence());
            print(c);
        });
        while (follow) {
            List<Change> page = puck.changesAfter(cursor, 1000);
            boolean progressed = false;
            for (Change c : page) {
                if (c.to().isEmpty()) {
                    break;
                }
                cursor = c.sequence();
                progressed = true;
                if (wanted(c) && printed.add(c.sequence())) {
                    print(c);
                }
            }
            if (!progressed) {
                Thread.sleep(200);
            }
        }
        return ExitCodes.OK;
    }

    private boolean wanted(Change c) {
        return sprite == null || sprite.equals(c.sprite());
    }

    private void print(Change c) {
        if (global.json) {
            try {
                out().println(new com.fasterxml.jackson.databind.ObjectMapper().writeValueAsString(Out.change(c))); // one object per line
            } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                throw new IllegalStateException(e);
            }
        } else {
            out().println(c);
        }
        out().flush();
    }
}
