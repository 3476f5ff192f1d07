package labs.sandwich.puck.junit5;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import labs.sandwich.puck.api.Sprite;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.RepeatedTest;

/** A per-test sprite with a fixture: seeded once for the class, each test gets its own fork of the snapshot (in parallel). */
@PuckTest
class ForkedFixtureTest {
    @SpriteInstance(name = "forked", fixture = MariaDb.TenThousandOrders.class)
    Sprite db;

    static final Set<String> names = ConcurrentHashMap.newKeySet();

    @RepeatedTest(2)
    void eachTestHasItsOwnSeededCopy() {
        names.add(db.name());
        assertThat(MariaDb.sql(db, "select count(*) from shop.orders")).isEqualTo("10000");
        assertThat(MariaDb.sql(db, "select @@global.max_connections")).isEqualTo("151");
        MariaDb.sql(db, "delete from shop.orders where id > 10; set global max_connections = 77");
        assertThat(MariaDb.sql(db, "select count(*) from shop.orders")).isEqualTo("10");
    }

    @AfterAll
    static void twoForks() {
        assertThat(names).hasSize(2).allMatch(n -> n.startsWith("forked-"));
    }
}
