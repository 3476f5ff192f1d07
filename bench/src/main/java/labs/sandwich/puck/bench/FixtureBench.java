package labs.sandwich.puck.bench;

import static labs.sandwich.puck.bench.Bench.pct;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import labs.sandwich.puck.Puck;
import labs.sandwich.puck.api.DeletePolicy;
import labs.sandwich.puck.api.Snapshot;
import labs.sandwich.puck.api.Sprite;
import labs.sandwich.puck.api.SpriteSpec;
import labs.sandwich.puck.junit5.MariaDb;
import org.testcontainers.containers.Container;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.utility.DockerImageName;

/**
 * The per-test reset of a seeded MariaDB (10,000 and 1,000,000 rows), three ways, in one run on
 * the same Podman: Puck's fixture reset (a snapshot for reset, restored in place before each
 * test), Testcontainers' fresh container + seed per test, and a re-seed in a reused
 * Testcontainers container. Each measured reset follows a "test" that changed the data and the
 * server's memory, and ends when the first query answers; each is checked (row count, a
 * memory-only variable back to its default). The three sides are interleaved and the one that
 * goes first rotates. Testcontainers talks to Podman's Docker-compatible API
 * ({@code DOCKER_HOST=unix:///run/podman/podman.sock}, Ryuk off: its image cannot be pulled)
 * and uses the image built here, so nothing is pulled.
 */
public final class FixtureBench {
    private FixtureBench() {}

    public static void main(String[] args) throws Exception {
        int iterations = args.length > 0 ? Integer.parseInt(args[0]) : 10;
        Path report = Path.of(args.length > 1 ? args[1] : "bench/REPORT-fixtures.md");
        Path tmp = Files.createTempDirectory("puck-fixture-bench");
        Map<Integer, Map<String, List<Double>>> results = new LinkedHashMap<>();
        Map<Integer, String> once = new LinkedHashMap<>();
        try (Puck puck = Puck.builder().store(tmp.resolve("puck.db")).build()) {
            MariaDb.image(puck);
            for (int rows : List.of(10_000, 1_000_000)) {
                results.put(rows, measure(puck, rows, iterations, once));
            }
        } finally {
            try (var files = Files.walk(tmp)) { // the bench's store and data directory: its sprites are deleted by now
                for (Path f : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(f);
                }
            }
        }
        String text = report(results, once, iterations);
        Files.writeString(report, text);
        System.out.print(text);
    }

    private static Map<String, List<Double>> measure(Puck puck, int rows, int iterations, Map<Integer, String> once) throws Exception {
        Map<String, List<Double>> samples = new LinkedHashMap<>();
        for (String side : List.of("puck", "fresh", "reseed")) {
            samples.put(side, new ArrayList<>());
        }
        String name = "bench-fixture-" + rows / 1000 + "k";
        puck.find(name).ifPresent(s -> s.delete(DeletePolicy.PURGE));
        Sprite sprite = puck.create(SpriteSpec.named(name).withImage(MariaDb.IMAGE));
        GenericContainer<?> reused = null;
        try {
            long t0 = System.nanoTime();
            MariaDb.start(sprite);
            MariaDb.sql(sprite, MariaDb.seedSql(rows));
            double seed = ms(t0);
            t0 = System.nanoTime();
            MariaDb.quiesce(sprite); // see MariaDb.quiesce: else every reset brings back the seed's pending flush
            double quiet = ms(t0);
            t0 = System.nanoTime();
            Snapshot seeded = sprite.snapshotForReset("seeded");
            double snap = ms(t0);
            once.put(rows, String.format(Locale.ROOT, "start + seed %.0f ms, waiting for InnoDB to flush %.0f ms, snapshot for reset %.0f ms (archive %d MB)",
                    seed, quiet, snap, seeded.sizeBytes() >> 20));

            reused = container();
            reused.start();
            awaitServer(reused);
            tc(reused, MariaDb.seedSql(rows));

            for (int i = -2; i < iterations; i++) {
                for (int k = 0; k < 3; k++) {
                    String side = List.of("puck", "fresh", "reseed").get(Math.floorMod(i + k, 3));
                    double took = switch (side) {
                        case "puck" -> {
                            mutate(sql -> MariaDb.sql(sprite, sql), rows);
                            long s = System.nanoTime();
                            sprite.reset(seeded);
                            MariaDb.sql(sprite, READY);
                            double d = ms(s);
                            verify(MariaDb.sql(sprite, CHECK), rows, side);
                            yield d;
                        }
                        case "fresh" -> {
                            long s = System.nanoTime();
                            try (GenericContainer<?> c = container()) {
                                c.start();
                                awaitServer(c);
                                tc(c, MariaDb.seedSql(rows));
                                tc(c, READY);
                                double d = ms(s);
                                verify(tc(c, CHECK), rows, side);
                                yield d;
                            }
                        }
                        default -> {
                            GenericContainer<?> c = reused;
                            mutate(sql -> tc(c, sql), rows);
                            long s = System.nanoTime();
                            tc(c, "drop database shop; " + MariaDb.seedSql(rows));
                            tc(c, READY);
                            double d = ms(s);
                            verify(tc(c, CHECK), rows, side);
                            yield d;
                        }
                    };
                    if (i >= 0) {
                        samples.get(side).add(took);
                    }
                    System.out.printf(Locale.ROOT, "%d rows, %s%s: %.0f ms%n", rows, side, i < 0 ? " (warm-up)" : "", took);
                }
            }
            sprite.deleteSnapshot(seeded);
        } finally {
            if (reused != null) {
                reused.stop();
            }
            sprite.delete(DeletePolicy.PURGE);
        }
        return samples;
    }

    /** The query that ends the clock: the server answers and the table is there (an index lookup, not a scan). */
    private static final String READY = "select max(id), @@global.max_connections from shop.orders";
    /**
     * The check after the clock stopped, on every side: every row (disk) and a variable only the
     * server's memory holds. Its full scan (~0.3 s for 1,000,000 rows here) would cost every side the same.
     */
    private static final String CHECK = "select count(*), max(id), @@global.max_connections from shop.orders";

    private static void verify(String check, int rows, String side) {
        // A re-seed puts back the data only: the server's memory (the variable) keeps what the test set.
        String want = rows + "\t" + rows + "\t" + (side.equals("reseed") ? "77" : "151");
        if (!check.strip().equals(want)) {
            throw new IllegalStateException(side + ": after the reset the database answered '" + check.strip() + "', expected '" + want + "'");
        }
    }

    /** What a test does before the next reset: inserts, deletes and updates rows, and changes a setting held in memory. */
    private static void mutate(Sql sql, int rows) throws Exception {
        sql.run("use shop; insert into orders values (" + (rows + 1) + ", 'new', 'x'); delete from orders where id <= 100;"
                + " update orders set name = 'changed' where id between 1000 and 2000; set global max_connections = 77;");
    }

    @FunctionalInterface
    private interface Sql {
        String run(String sql) throws Exception;
    }

    private static GenericContainer<?> container() {
        return new GenericContainer<>(DockerImageName.parse(MariaDb.IMAGE)).withCommand("sh", "-c", "exec " + MariaDb.SERVER);
    }

    private static void awaitServer(GenericContainer<?> c) throws Exception {
        long end = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (c.execInContainer("mariadb", "-e", "select 1").getExitCode() != 0) {
            if (System.nanoTime() > end) {
                throw new IllegalStateException("MariaDB in the Testcontainers container did not answer within 60 s");
            }
            Thread.sleep(50);
        }
    }

    private static String tc(GenericContainer<?> c, String sql) throws Exception {
        Container.ExecResult r = c.execInContainer("mariadb", "-N", "-B", "-e", sql);
        if (r.getExitCode() != 0) {
            throw new IllegalStateException("mariadb failed (" + r.getExitCode() + "): " + r.getStderr());
        }
        return r.getStdout();
    }

    private static double ms(long start) {
        return (System.nanoTime() - start) / 1e6;
    }

    private static String report(Map<Integer, Map<String, List<Double>>> results, Map<Integer, String> once, int iterations) {
        StringBuilder b = new StringBuilder("# Fixture reset vs Testcontainers\n\n");
        b.append("Run ").append(Instant.now()).append(" on ").append(Runtime.getRuntime().availableProcessors()).append(" cores, ")
                .append(System.getProperty("os.name")).append(' ').append(System.getProperty("os.version")).append(", Java ").append(Runtime.version())
                .append(". MariaDB from Debian bookworm (`").append(MariaDb.SERVER).append("`), a table `orders` of N rows with a 64-character payload. ")
                .append(iterations).append(" measured iterations after 2 warm-ups; the three sides interleaved, the first one rotating. ")
                .append("Each time is one test's reset, from the state a test left (rows inserted, deleted, updated; a global variable changed) ")
                .append("until the server answers a query on the table (`").append(READY).append("`); then, off the clock, every reset is checked with a full count: ")
                .append("N rows, and the variable back to its default (Puck, fresh container) or still changed (re-seed: it puts back the data, not the server's memory). Times in ms.\n\n");
        b.append("| rows | Puck reset p50 | p95 | TC fresh container + seed p50 | p95 | TC re-seed in a reused container p50 | p95 | Puck ÷ fresh (p50) | Puck ÷ re-seed (p50) |\n");
        b.append("|---|---|---|---|---|---|---|---|---|\n");
        results.forEach((rows, s) -> {
            double p = pct(s.get("puck"), 50), f = pct(s.get("fresh"), 50), r = pct(s.get("reseed"), 50);
            b.append(String.format(Locale.ROOT, "| %,d | %.0f | %.0f | %.0f | %.0f | %.0f | %.0f | %.3f | %.3f |%n", rows, p, pct(s.get("puck"), 95), f,
                    pct(s.get("fresh"), 95), r, pct(s.get("reseed"), 95), p / f, p / r));
        });
        b.append("\nOnce per class (Puck): ");
        once.forEach((rows, text) -> b.append(String.format(Locale.ROOT, "%,d rows: %s. ", rows, text)));
        b.append("\n\nTestcontainers ").append(GenericContainer.class.getPackage().getImplementationVersion())
                .append(" on Podman's Docker-compatible API; its times exclude stopping the container after the test, Puck's include stopping the server it resets.\n");
        b.append("\nReproduce: `sudo bench/run [iterations]` (this report: `bench/run` passes its iterations / 2).\n");
        return b.toString();
    }
}
