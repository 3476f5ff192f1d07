package labs.sandwich.puck.core.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Duration;
import java.util.Map;
import java.util.stream.Stream;
import labs.sandwich.puck.api.ImageRef;
import labs.sandwich.puck.api.InvalidSpecException;
import labs.sandwich.puck.api.Readiness;
import labs.sandwich.puck.api.Resources;
import labs.sandwich.puck.api.SleepHooks;
import labs.sandwich.puck.api.SleepPolicy;
import labs.sandwich.puck.api.SpriteSpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class SpecCodecTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final SpriteSpec BASE = SpriteSpec.named("base");

    /** Each field changed on its own from the defaults, and what its JSON must hold. */
    static Stream<Arguments> oneFieldEach() {
        return Stream.of(
                Arguments.of("name", BASE.withName("other-name"), "{\"name\":\"other-name\"}"),
                Arguments.of("image", BASE.withImage(ImageRef.of("registry.local:5000/x/y:1")), "{\"image\":\"registry.local:5000/x/y:1\"}"),
                Arguments.of("idleTimeout", BASE.withIdleTimeout(Duration.ofSeconds(90).plusMillis(5)), "{\"idleTimeout\":\"PT1M30.005S\"}"),
                Arguments.of("idleTimeout never", BASE.withIdleTimeout(Duration.ZERO), "{\"idleTimeout\":\"PT0S\"}"),
                Arguments.of("sleep tiers", BASE.withSleep(new SleepPolicy(Duration.ofSeconds(5), Duration.ofMinutes(1), Duration.ofDays(7))),
                        "{\"idleTimeout\":\"PT1M\",\"sleep\":{\"pauseAfter\":\"PT5S\",\"hibernateAfter\":\"PT1M\",\"archiveAfter\":\"PT168H\"}}"),
                Arguments.of("hooks", BASE.withHooks(SleepHooks.NONE.withPreSleep("sh", "-c", "sync; echo 'done'").withPostWake("hwclock", "-s").withTimeout(Duration.ofSeconds(9))),
                        "{\"hooks\":{\"timeout\":\"PT9S\",\"preSleep\":[\"sh\",\"-c\",\"sync; echo 'done'\"],\"postWake\":[\"hwclock\",\"-s\"]}}"),
                Arguments.of("resources", BASE.withResources(new Resources(0.1, 256L << 20, 10L << 30)),
                        "{\"resources\":{\"cpus\":0.1,\"memoryBytes\":268435456,\"storageBytes\":10737418240}}"),
                Arguments.of("env", BASE.withEnv("B", "two words").withEnv("A", "ünïcode \"quoted\"\n"),
                        "{\"env\":{\"A\":\"ünïcode \\\"quoted\\\"\\n\",\"B\":\"two words\"}}"),
                Arguments.of("ports", BASE.withPorts(8080, 22), "{\"ports\":[8080,22]}"),
                Arguments.of("sshKeys", BASE.withSshKey("ssh-ed25519 AAAAC3Nza me@host").withSshKey("ecdsa-sha2-nistp256 AAAAE2 x"),
                        "{\"sshKeys\":[\"ssh-ed25519 AAAAC3Nza me@host\",\"ecdsa-sha2-nistp256 AAAAE2 x\"]}"),
                Arguments.of("labels", BASE.withLabel("team", "blue").withLabel("puck.test.session", "1234"),
                        "{\"labels\":{\"puck.test.session\":\"1234\",\"team\":\"blue\"}}"),
                Arguments.of("readiness none", BASE.withReadiness(Readiness.NONE), "{\"readiness\":{\"type\":\"none\"}}"),
                Arguments.of("readiness port", BASE.withReadiness(Readiness.port(22)), "{\"readiness\":{\"type\":\"port\",\"port\":22}}"),
                Arguments.of("readiness http", BASE.withReadiness(Readiness.http(8080, "/health?deep=1")),
                        "{\"readiness\":{\"type\":\"http\",\"port\":8080,\"path\":\"/health?deep=1\"}}"),
                Arguments.of("readiness command", BASE.withReadiness(Readiness.command("test", "-f", "/ready")),
                        "{\"readiness\":{\"type\":\"command\",\"argv\":[\"test\",\"-f\",\"/ready\"]}}"),
                Arguments.of("readiness all, nested", BASE.withReadiness(Readiness.all(Readiness.port(22), Readiness.all(Readiness.NONE, Readiness.http(80, "/")))),
                        "{\"readiness\":{\"type\":\"all\",\"checks\":[{\"type\":\"port\",\"port\":22},"
                                + "{\"type\":\"all\",\"checks\":[{\"type\":\"none\"},{\"type\":\"http\",\"port\":80,\"path\":\"/\"}]}]}}"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("oneFieldEach")
    void everyFieldRoundTripsAndIsWrittenExplicitly(String field, SpriteSpec spec, String expected) throws Exception {
        String json = SpecCodec.toJson(spec);
        assertThat(SpecCodec.fromJson(json)).isEqualTo(spec);
        JsonNode tree = JSON.readTree(json);
        JsonNode want = JSON.readTree(expected);
        want.properties().forEach(e -> assertThat(tree.get(e.getKey())).as(e.getKey()).isEqualTo(e.getValue()));
    }

    @Test
    void allFieldsTogetherRoundTrip() {
        SpriteSpec spec = SpriteSpec.builder("full").image(ImageRef.of("debian:12")).idleTimeout(Duration.ofDays(365)).cpus(2.5).memoryBytes(1L << 30)
                .env("TZ", "Europe/Paris").port(8080).port(443).sshKey("sk-ssh-ed25519@openssh.com AAAA k").label("a", "b")
                .readiness(Readiness.all(Readiness.command("true"), Readiness.http(8080, "/"))).build();
        assertThat(SpecCodec.fromJson(SpecCodec.toJson(spec))).isEqualTo(spec);
    }

    @Test
    void aSpecWrittenBeforeSleepTiersReadsItsIdleTimeoutAsTheHibernateTier() {
        String old = "{\"v\":1,\"name\":\"old\",\"image\":\"debian:12\",\"idleTimeout\":\"PT10S\",\"resources\":{\"cpus\":0,\"memoryBytes\":0,\"storageBytes\":0},"
                + "\"env\":{},\"ports\":[],\"sshKeys\":[],\"labels\":{},\"readiness\":{\"type\":\"none\"}}";
        SpriteSpec spec = SpecCodec.fromJson(old);
        assertThat(spec.sleep()).isEqualTo(new SleepPolicy(Duration.ZERO, Duration.ofSeconds(10), Duration.ZERO));
        assertThat(spec.hooks()).isEqualTo(SleepHooks.NONE);
        assertThat(SpecCodec.fromJson(old.replace("PT10S", "PT0S")).sleep()).isEqualTo(SleepPolicy.NEVER);
    }

    @Test
    void theDefaultsAreWrittenInFullWithTheFormatVersion() throws Exception {
        JsonNode tree = JSON.readTree(SpecCodec.toJson(BASE));
        assertThat(tree.get("v").asInt()).isEqualTo(1);
        assertThat(tree.properties()).extracting(Map.Entry::getKey)
                .containsExactly("v", "name", "image", "idleTimeout", "sleep", "resources", "env", "ports", "sshKeys", "labels", "readiness", "hooks");
        assertThat(tree.get("env").isObject() && tree.get("ports").isArray()).as("empty collections are written, not omitted").isTrue();
        assertThat(SpecCodec.fromJson(tree.toString())).isEqualTo(BASE);
    }

    @Test
    void unknownFieldsFromANewerPuckAreIgnored() throws Exception {
        SpriteSpec spec = BASE.withReadiness(Readiness.http(80, "/"));
        ObjectNode tree = (ObjectNode) JSON.readTree(SpecCodec.toJson(spec));
        tree.putObject("gpu").put("count", 1);
        tree.withObject("/resources").put("ioWeight", 100);
        tree.withObject("/readiness").put("timeout", "PT5S");
        assertThat(SpecCodec.fromJson(tree.toString())).isEqualTo(spec);
    }

    @Test
    void whatCannotBeReadFaithfullyIsRefused() {
        String good = SpecCodec.toJson(BASE);
        assertThatThrownBy(() -> SpecCodec.fromJson(good.replace("\"v\":1", "\"v\":2")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("format version 2");
        assertThatThrownBy(() -> SpecCodec.fromJson(good.replace("\"v\":1,", "")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("format version (none)");
        assertThatThrownBy(() -> SpecCodec.fromJson(good.replace("\"type\":\"none\"", "\"type\":\"grpc\"")))
                .as("an unknown check is not silently dropped").isInstanceOf(IllegalArgumentException.class).hasMessageContaining("grpc");
        assertThatThrownBy(() -> SpecCodec.fromJson(good.replace("\"PT15M\"", "\"15 minutes\"")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("15 minutes");
        assertThatThrownBy(() -> SpecCodec.fromJson(good.replace(",\"name\":\"base\"", "")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("name");
        assertThatThrownBy(() -> SpecCodec.fromJson("{not json")).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not JSON");
        assertThatThrownBy(() -> SpecCodec.fromJson(good.replace("\"ports\":[]", "\"ports\":[70000]")))
                .as("values are validated again").isInstanceOf(InvalidSpecException.class);
    }
}
