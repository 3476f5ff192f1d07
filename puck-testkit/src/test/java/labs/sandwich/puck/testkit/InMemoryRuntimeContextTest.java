package labs.sandwich.puck.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import labs.sandwich.puck.api.event.SpriteEvent;
import labs.sandwich.puck.spi.BackendState;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class InMemoryRuntimeContextTest {
    @TempDir
    Path tmp;

    @Test
    @DisplayName("it lends the caller's clock and directory, creating the directory")
    void clockAndDirectory() {
        TestClock clock = TestClock.start();
        InMemoryRuntimeContext context = new InMemoryRuntimeContext(clock, tmp.resolve("a/b"), Map.of());
        assertThat(context.clock()).isSameAs(clock);
        assertThat(context.dataDirectory()).isEqualTo(tmp.resolve("a/b"));
        assertThat(Files.isDirectory(tmp.resolve("a/b"))).isTrue();
    }

    @Test
    @DisplayName("settings come from the map only, never from system properties")
    void config() {
        System.setProperty("puck.kit.only-property", "from the JVM");
        try {
            InMemoryRuntimeContext context = new InMemoryRuntimeContext(TestClock.start(), tmp, Map.of("podman.socket", "/run/x.sock"));
            assertThat(context.config("podman.socket")).hasValue("/run/x.sock");
            assertThat(context.config("kit.only-property")).isEmpty();
        } finally {
            System.clearProperty("puck.kit.only-property");
        }
    }

    @Test
    @DisplayName("backend state is kept per owner, and removing the last key forgets the owner")
    void state() {
        BackendState state = new InMemoryRuntimeContext(TestClock.start(), tmp, Map.of()).state();
        state.put("web", "container.id", "abc");
        state.put("web", "ip", "10.0.0.2");
        state.put("db", "ip", "10.0.0.3");
        assertThat(state.get("web", "ip")).hasValue("10.0.0.2");
        assertThat(state.all("web")).containsExactly(Map.entry("container.id", "abc"), Map.entry("ip", "10.0.0.2"));
        state.remove("web", "ip");
        state.remove("web", "absent");
        assertThat(state.all("web")).containsOnlyKeys("container.id");
        state.remove("web", "container.id");
        assertThat(state.all("web")).isEmpty();
        assertThat(state.get("nobody", "ip")).isEmpty();
        assertThat(state.all("db")).containsEntry("ip", "10.0.0.3");
    }

    @Test
    @DisplayName("published events are collected in order")
    void events() {
        TestClock clock = TestClock.start();
        InMemoryRuntimeContext context = new InMemoryRuntimeContext(clock, tmp, Map.of());
        SpriteEvent first = new SpriteEvent.Progress("web", clock.instant(), "hibernate", "dumping memory");
        SpriteEvent second = new SpriteEvent.Created("web", clock.advance(Duration.ofSeconds(1)), Duration.ofSeconds(1));
        context.publish(first);
        List<SpriteEvent> before = context.events();
        context.publish(second);
        assertThat(context.events()).containsExactly(first, second);
        assertThat(before).as("a copy, not a view").containsExactly(first);
    }
}
