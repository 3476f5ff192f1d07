package labs.sandwich.puck.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import labs.sandwich.puck.api.BackendException;
import labs.sandwich.puck.api.DeletePolicy;
import labs.sandwich.puck.api.ExecRequest;
import labs.sandwich.puck.api.ImageRef;
import labs.sandwich.puck.api.Readiness;
import labs.sandwich.puck.api.SpriteSpec;
import labs.sandwich.puck.api.SpriteState;
import org.junit.jupiter.api.Test;

/** What the in-memory runtime offers tests beyond the SPI contract. */
class InMemorySpriteRuntimeTest {
    private final TestClock clock = TestClock.start();
    private final InMemorySpriteRuntime rt = InMemorySpriteRuntime.builder().clock(clock).build();

    @Test
    void aHibernatedSpriteHoldsNoMemory() {
        rt.create(SpriteSpec.named("m"));
        rt.exec("m", ExecRequest.of("counter"));
        assertThat(rt.memoryHeld("m")).isPositive();
        rt.hibernate("m");
        assertThat(rt.memoryHeld("m")).isZero();
        assertThat(rt.inspect("m").orElseThrow().attributes()).containsEntry("memory.bytes", "0");
        rt.wake("m");
        assertThat(rt.exec("m", ExecRequest.of("counter")).stdout()).isEqualTo("2\n");
    }

    @Test
    void callsAreCountedAndFailuresInjected() {
        rt.create(SpriteSpec.named("c"));
        rt.failNext("hibernate", new BackendException("in-memory", "c", 500, "boom", null, null));
        assertThatThrownBy(() -> rt.hibernate("c")).hasMessageContaining("boom");
        assertThat(rt.inspect("c").orElseThrow().state()).as("a failure changes nothing").isEqualTo(SpriteState.RUNNING);
        rt.hibernate("c");
        assertThat(rt.calls("c", "hibernate")).isEqualTo(2);
        assertThat(rt.calls("c", "wake")).isZero();
    }

    @Test
    void timestampsComeFromTheClock() {
        rt.create(SpriteSpec.named("t"));
        clock.advance(Duration.ofMinutes(5));
        rt.pause("t");
        var info = rt.inspect("t").orElseThrow();
        assertThat(info.createdAt()).isEqualTo(TestClock.START);
        assertThat(info.stateSince()).isEqualTo(TestClock.START.plus(Duration.ofMinutes(5)));
    }

    @Test
    void imagesMustBeRegistered() {
        ImageRef custom = ImageRef.of("localhost/custom:1");
        assertThatThrownBy(() -> rt.create(SpriteSpec.named("i").withImage(custom))).hasMessageContaining("addImage");
        rt.addImage(custom);
        assertThat(rt.create(SpriteSpec.named("i").withImage(custom)).state()).isEqualTo(SpriteState.RUNNING);
    }

    @Test
    void builtinsBehaveLikeTheirNamesakes() {
        rt.create(SpriteSpec.named("b").withEnv("A", "1"));
        assertThat(rt.exec("b", ExecRequest.of("nosuch")).exitCode()).isEqualTo(127);
        assertThat(rt.exec("b", ExecRequest.of("write", "/root/x", "y")).exitCode()).isZero();
        assertThat(rt.exec("b", ExecRequest.of("ls", "/root")).stdout()).isEqualTo("x\n");
        assertThat(rt.exec("b", ExecRequest.of("apt-get", "install", "-y", "jq")).exitCode()).isZero();
        assertThat(rt.exec("b", ExecRequest.of("cat", "/var/lib/dpkg/status")).stdout()).contains("Package: jq");
        assertThat(rt.exec("b", ExecRequest.of("env").withEnv("B", "2")).stdout()).isEqualTo("A=1\nB=2\n");
        assertThat(rt.exec("b", ExecRequest.of("rm", "/root/x")).exitCode()).isZero();
        assertThat(rt.exec("b", ExecRequest.of("rm", "/root/x")).exitCode()).isEqualTo(1);
    }

    @Test
    void readinessFollowsListeningPorts() {
        rt.create(SpriteSpec.named("r"));
        assertThat(rt.isReady("r", Readiness.port(8080))).isFalse();
        rt.exec("r", ExecRequest.of("listen", "8080"));
        assertThat(rt.isReady("r", Readiness.http(8080, "/"))).isTrue();
        assertThat(rt.isReady("r", Readiness.command("true"))).isTrue();
        assertThat(rt.isReady("r", Readiness.command("false"))).isFalse();
    }

    @Test
    void keptVolumesHoldOnlyHomeAndRoot() {
        rt.create(SpriteSpec.named("v"));
        rt.writeFile("v", "/root/a", new java.io.ByteArrayInputStream("a".getBytes(StandardCharsets.UTF_8)));
        rt.writeFile("v", "/etc/b", new java.io.ByteArrayInputStream("b".getBytes(StandardCharsets.UTF_8)));
        rt.delete("v", DeletePolicy.KEEP_VOLUMES);
        rt.create(SpriteSpec.named("v"));
        assertThat(rt.exec("v", ExecRequest.of("cat", "/root/a")).stdout()).isEqualTo("a");
        assertThat(rt.exec("v", ExecRequest.of("cat", "/etc/b")).exitCode()).isEqualTo(1);
    }
}
