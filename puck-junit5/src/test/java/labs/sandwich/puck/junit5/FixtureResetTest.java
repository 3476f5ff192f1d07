package labs.sandwich.puck.junit5;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import labs.sandwich.puck.api.Sprite;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.RepeatedTest;

/**
 * A checkpoint fixture on real Podman: MariaDB seeded once with 10,000 orders; every test
 * starts from the same memory (a global variable set only in the server's memory) and disk
 * (rows, a file), changes both, and the next test sees none of it. The tests run in parallel
 * mode, yet one at a time on the shared sprite.
 */
// tag::fixture-use[]
@PuckTest
class FixtureResetTest {
    @SpriteInstance(name = "orders", fixture = MariaDb.TenThousandOrders.class)
    static Sprite db;
    // end::fixture-use[]

    static final AtomicInteger inside = new AtomicInteger();
    static final Set<String> pids = ConcurrentHashMap.newKeySet();

    @RepeatedTest(4)
    void everyTestStartsFromTheSeededMemoryAndDisk() {
        assertThat(inside.incrementAndGet()).as("no other test uses the shared sprite now").isEqualTo(1);
        try {
            assertThat(MariaDb.sql(db, "select count(*), max(id) from shop.orders")).isEqualTo("10000\t10000");
            assertThat(MariaDb.sql(db, "select @@global.max_connections")).as("in memory only: the default").isEqualTo("151");
            assertThat(db.exec("test", "-e", "/root/written-by-a-test").exitCode()).isEqualTo(1);
            pids.add(db.exec("sh", "-c", "pidof mariadbd").orThrow().stdout().strip());

            MariaDb.sql(db, "insert into shop.orders values (10001, 'mine', 'x'); delete from shop.orders where id <= 5000; set global max_connections = 77");
            db.writeFile("/root/written-by-a-test", "yes".getBytes());
            assertThat(MariaDb.sql(db, "select count(*) from shop.orders")).isEqualTo("5001");
        } finally {
            inside.decrementAndGet();
        }
    }

    @AfterAll
    static void theSameServerProcessCameBackEachTime() {
        assertThat(pids).as("the server was restored, not restarted: one pid in its namespace").hasSize(1);
    }
}
