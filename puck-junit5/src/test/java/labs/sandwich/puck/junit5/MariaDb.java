package labs.sandwich.puck.junit5;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import labs.sandwich.puck.Puck;
import labs.sandwich.puck.api.ExecRequest;
import labs.sandwich.puck.api.ExecResult;
import labs.sandwich.puck.api.ImageRef;
import labs.sandwich.puck.api.Sprite;
import labs.sandwich.puck.api.SpriteSpec;

/**
 * MariaDB from Debian bookworm's packages in a sprite: the image (built here from the base image
 * by Podman's builder, cached by its layers), the server started as root (CRIU can dump only
 * root's processes on hosts without CAP_SYS_RESOURCE) as a child of the sprite's init, and a
 * seeded table. Shared by the tests and the benchmark.
 */
public final class MariaDb {
    /**
     * The image: {@code src/test/resources/mariadb-image/Containerfile}, tagged with its content's
     * hash, so it is built once per machine (not once per JVM, each leaving the last build dangling)
     * and again only when the Containerfile changes.
     */
    public static final String IMAGE = "localhost/puck/mariadb:" + containerfileHash();
    /** The server's argv: root, unix socket only, no native AIO (CRIU cannot dump io_uring). */
    public static final String SERVER = "mariadbd --user=root --skip-networking --innodb-use-native-aio=0";
    private static volatile boolean built;

    private MariaDb() {}

    /** Builds the image once per JVM (Podman's layer cache makes later builds take about a second). */
    public static synchronized ImageRef image(Puck puck) {
        if (!built && !exists(IMAGE)) {
            Path context = null;
            try (InputStream in = MariaDb.class.getResourceAsStream("/mariadb-image/Containerfile")) {
                context = Files.createTempDirectory("puck-mariadb-image");
                Files.copy(in, context.resolve("Containerfile")); // the resource may be in a jar (the benchmark's class path)
                puck.buildImage(context, IMAGE);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            } finally {
                if (context != null) {
                    context.resolve("Containerfile").toFile().delete();
                    context.toFile().delete();
                }
            }
            built = true;
        }
        return ImageRef.of(IMAGE);
    }

    private static String containerfileHash() {
        try (InputStream in = MariaDb.class.getResourceAsStream("/mariadb-image/Containerfile")) {
            byte[] digest = java.security.MessageDigest.getInstance("SHA-256").digest(in.readAllBytes());
            return java.util.HexFormat.of().formatHex(digest, 0, 6);
        } catch (IOException | java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static boolean exists(String image) {
        try {
            return new ProcessBuilder("podman", "image", "exists", image).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .start().waitFor() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** Starts the server in the background, as a child of the sprite's init, and waits until it answers. */
    public static void start(Sprite sprite) {
        sprite.exec("sh", "-c", "nohup " + SERVER + " >/var/log/mariadbd.log 2>&1 &").orThrow();
        long end = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (!sprite.exec("mariadb", "-e", "select 1").succeeded()) {
            if (System.nanoTime() > end) {
                throw new IllegalStateException("MariaDB did not answer within 60 s: " + sprite.exec("tail", "-n", "20", "/var/log/mariadbd.log").stdout());
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
    }

    /** The seed, as SQL: a table of {@code rows} orders, each with a 64-character payload. */
    public static String seedSql(int rows) {
        return "create database shop; use shop; create table orders (id int primary key, name varchar(64), payload varchar(128));"
                + " insert into orders select seq, concat('order-', seq), sha2(seq, 256) from seq_1_to_" + rows + ";";
    }

    /**
     * Lets InnoDB write out its dirty pages before the snapshot. A snapshot taken while the
     * server still flushes what the seed wrote brings that pending work back with every reset:
     * each test would start by flushing the seed again (measured: the first query after a reset
     * of 1,000,000 rows took ~0.5 s longer, and the flushed pages had to be put back each time).
     */
    public static void quiesce(Sprite sprite) {
        // InnoDB paces its flushing to innodb_io_capacity (200 pages/s by default): 1,000,000 rows then took 43 s to flush
        sql(sprite, "set global innodb_io_capacity_max = 100000; set global innodb_io_capacity = 100000;"
                + " set global innodb_max_dirty_pages_pct_lwm = 0.001; set global innodb_max_dirty_pages_pct = 0");
        long end = System.nanoTime() + Duration.ofSeconds(120).toNanos();
        while (!sql(sprite, "select variable_value from information_schema.global_status where variable_name = 'INNODB_BUFFER_POOL_PAGES_DIRTY'").equals("0")) {
            if (System.nanoTime() > end) {
                throw new IllegalStateException("InnoDB still has dirty pages after 120 s");
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
        sql(sprite, "set global innodb_max_dirty_pages_pct = 90; set global innodb_max_dirty_pages_pct_lwm = 0;"
                + " set global innodb_io_capacity = 200; set global innodb_io_capacity_max = 2000");
    }

    /** Runs SQL as root over the unix socket; @return its tab-separated output, without column names */
    public static String sql(Sprite sprite, String sql) {
        ExecResult r = sprite.exec(ExecRequest.of("mariadb", "-N", "-B", "-e", sql).withTimeout(Duration.ofMinutes(5)));
        return r.orThrow().stdout().strip();
    }

    // tag::fixture[]
    /** A fixture: MariaDB with 10,000 orders. */
    public static class TenThousandOrders implements SpriteFixture {
        @Override
        public SpriteSpec spec(Puck puck, SpriteSpec spec) {
            return spec.withImage(image(puck));
        }

        @Override
        public void seed(Sprite sprite) {
            start(sprite);
            sql(sprite, seedSql(10_000));
            quiesce(sprite);
        }
    }
    // end::fixture[]
}
