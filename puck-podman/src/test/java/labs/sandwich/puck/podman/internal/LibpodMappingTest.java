package labs.sandwich.puck.podman.internal;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import labs.sandwich.puck.podman.internal.libpod.ApiException;
import labs.sandwich.puck.podman.internal.libpod.model.CheckpointReport;
import labs.sandwich.puck.podman.internal.libpod.model.ContainerCreateResponse;
import labs.sandwich.puck.podman.internal.libpod.model.ContainerStatsReport;
import labs.sandwich.puck.podman.internal.libpod.model.IDResponse;
import labs.sandwich.puck.podman.internal.libpod.model.ImageData;
import labs.sandwich.puck.podman.internal.libpod.model.Info;
import labs.sandwich.puck.podman.internal.libpod.model.InspectContainer;
import labs.sandwich.puck.podman.internal.libpod.model.InspectExecSession;
import labs.sandwich.puck.podman.internal.libpod.model.LibpodContainersRmReport;
import labs.sandwich.puck.podman.internal.libpod.model.LinuxCPU;
import labs.sandwich.puck.podman.internal.libpod.model.LinuxMemory;
import labs.sandwich.puck.podman.internal.libpod.model.LinuxResources;
import labs.sandwich.puck.podman.internal.libpod.model.ListContainer;
import labs.sandwich.puck.podman.internal.libpod.model.NamedVolume;
import labs.sandwich.puck.podman.internal.libpod.model.Namespace;
import labs.sandwich.puck.podman.internal.libpod.model.Network;
import labs.sandwich.puck.podman.internal.libpod.model.NetworkInspectReport;
import labs.sandwich.puck.podman.internal.libpod.model.NetworkRmReport;
import labs.sandwich.puck.podman.internal.libpod.model.PerNetworkOptions;
import labs.sandwich.puck.podman.internal.libpod.model.RestoreReport;
import labs.sandwich.puck.podman.internal.libpod.model.SpecGenerator;
import labs.sandwich.puck.podman.internal.libpod.model.SystemComponentVersion;
import labs.sandwich.puck.podman.internal.libpod.model.VolumeConfigResponse;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The generated models against JSON recorded from a real Podman 5.4.2 service (see
 * src/test/resources/libpod/README.md), through the generated client's own mapper. Needs no Podman.
 */
class LibpodMappingTest {
    private static final String CONTAINER_ID = "f4c37227b46e9d03801a8f0519f2b007abb76220c48a603a47f4231ca976ff23";

    private static PodmanClient client;
    private static ObjectMapper json;

    @BeforeAll
    static void mapper() {
        // Constructing the client opens no connection; only its mapper is used here.
        client = new PodmanClient(Path.of("/nonexistent/podman.sock"));
        json = client.json();
    }

    @AfterAll
    static void close() {
        client.close();
    }

    @Test
    @DisplayName("version: Podman's version at the top, its API version only in the Podman Engine component")
    void version() {
        SystemComponentVersion v = read("version.json", SystemComponentVersion.class);
        assertThat(v.getVersion()).isEqualTo("5.4.2");
        assertThat(v.getApiVersion()).as("the Docker-compatible API version").isEqualTo("1.41");
        assertThat(v.getPlatform().getName()).isEqualTo("linux/amd64/debian-13");
        assertThat(v.getComponents()).extracting(c -> c.getName()).contains("Podman Engine", "Conmon", "OCI Runtime (runc)");
        assertThat(v.getComponents().getFirst().getDetails()).containsEntry("APIVersion", "5.4.2").containsEntry("MinAPIVersion", "4.0.0");
    }

    @Test
    @DisplayName("info: rootful, runc on cgroup v1, the socket it answers on")
    void info() {
        Info info = read("info.json", Info.class);
        assertThat(info.getHost().getSecurity().getRootless()).isFalse();
        assertThat(info.getHost().getOciRuntime().getName()).isEqualTo("runc");
        assertThat(info.getHost().getCgroupVersion()).isEqualTo("v1");
        assertThat(info.getHost().getCpus()).isEqualTo(2L);
        assertThat(info.getHost().getMemTotal()).isEqualTo(25_276_063_744L);
        assertThat(info.getHost().getDistribution().getCodename()).isEqualTo("trixie");
        assertThat(info.getHost().getRemoteSocket().getPath()).isEqualTo("unix:///run/podman/podman.sock");
        assertThat(info.getStore().getGraphDriverName()).isEqualTo("overlay");
        assertThat(info.getVersion().getApIVersion()).isEqualTo("5.4.2");
    }

    @Test
    @DisplayName("container stats: the report wraps a list; network counters per interface, read on cgroup v1 too")
    void containerStats() {
        ContainerStatsReport r = read("container-stats.json", ContainerStatsReport.class);
        assertThat(r.getError()).isNull();
        assertThat(r.getStats()).hasSize(1);
        var eth0 = r.getStats().getFirst().getNetwork().get("eth0");
        assertThat(eth0.getRxBytes()).isEqualTo(1330L);
        assertThat(eth0.getTxBytes()).isEqualTo(308L);
        assertThat(eth0.getRxPackets()).isEqualTo(17L);
        assertThat(r.getStats().getFirst().getName()).isEqualTo("tstat-x2");
    }

    @Test
    @DisplayName("container inspect: state, labels, annotations, volumes, network address, resource limits")
    void containerInspect() {
        InspectContainer c = read("container-inspect.json", InspectContainer.class);
        assertThat(c.getId()).isEqualTo(CONTAINER_ID);
        assertThat(c.getName()).isEqualTo("puckrec7986");
        assertThat(c.getImageName()).isEqualTo("localhost/puck/base:bookworm");
        assertThat(c.getCreated()).isEqualTo("2026-11-23T07:20:38.35657364Z");
        assertThat(c.getState().getStatus()).isEqualTo("running");
        assertThat(c.getState().getRunning()).isTrue();
        assertThat(c.getState().getPid()).isEqualTo(25378L);
        assertThat(c.getState().getCheckpointedAt()).as("Go's zero time: never checkpointed").isEqualTo("0001-01-01T00:00:00Z");
        assertThat(c.getConfig().getLabels()).containsEntry("managed-by", "puck").containsEntry("puck.sprite", "puckrec7986");
        assertThat(c.getConfig().getAnnotations()).containsEntry("puck.note", "recorded");
        assertThat(c.getConfig().getEnv()).contains("GREETING=hello", "HOSTNAME=puckrec7986");
        assertThat(c.getConfig().getEntrypoint()).containsExactly("/usr/bin/tini", "-g", "--");
        assertThat(c.getConfig().getCmd()).containsExactly("sleep", "infinity");
        assertThat(c.getConfig().getStopTimeout()).isEqualTo(2L);
        assertThat(c.getMounts()).singleElement().satisfies(m -> {
            assertThat(m.getType()).isEqualTo("volume");
            assertThat(m.getName()).isEqualTo("puckrec7986-home");
            assertThat(m.getDestination()).isEqualTo("/home");
            assertThat(m.getRW()).isTrue();
        });
        assertThat(c.getNetworkSettings().getIpAddress()).as("empty on a named network").isEmpty();
        assertThat(c.getNetworkSettings().getNetworks()).containsOnlyKeys("puckrec7986-net");
        assertThat(c.getNetworkSettings().getNetworks().get("puckrec7986-net").getIpAddress()).isEqualTo("10.89.0.2");
        assertThat(c.getNetworkSettings().getNetworks().get("puckrec7986-net").getAliases()).contains("puckrec7986");
        assertThat(c.getHostConfig().getMemory()).isEqualTo(256L << 20);
        assertThat(c.getHostConfig().getCpuQuota()).isEqualTo(50_000L);
        assertThat(c.getHostConfig().getCpuPeriod()).isEqualTo(100_000L);
        assertThat(c.getHostConfig().getNanoCpus()).isEqualTo(500_000_000L);
    }

    @Test
    @DisplayName("container list, create, delete")
    void containerListCreateDelete() {
        List<ListContainer> list = read("container-list.json", new TypeReference<List<ListContainer>>() {});
        assertThat(list).singleElement().satisfies(c -> {
            assertThat(c.getId()).isEqualTo(CONTAINER_ID);
            assertThat(c.getNames()).containsExactly("puckrec7986");
            assertThat(c.getState()).isEqualTo("running");
            assertThat(c.getLabels()).containsEntry("managed-by", "puck");
            assertThat(c.getCreated()).isEqualTo(OffsetDateTime.of(2026, 11, 23, 7, 20, 38, 356_573_640, ZoneOffset.UTC));
            assertThat(c.getExitedAt()).as("Go's zero time in Unix seconds").isEqualTo(-62_135_596_800L);
            assertThat(c.getNetworks()).containsExactly("puckrec7986-net");
            assertThat(c.getMounts()).containsExactly("/home");
        });
        ContainerCreateResponse created = read("container-create.json", ContainerCreateResponse.class);
        assertThat(created.getId()).isEqualTo(CONTAINER_ID);
        assertThat(created.getWarnings()).isEmpty();
        List<LibpodContainersRmReport> removed = read("container-delete.json", new TypeReference<List<LibpodContainersRmReport>>() {});
        assertThat(removed).singleElement().satisfies(r -> {
            assertThat(r.getId()).isEqualTo(CONTAINER_ID);
            assertThat(r.getErr()).isNull();
        });
    }

    @Test
    @DisplayName("checkpoint and restore reports, with CRIU's statistics")
    void checkpointRestore() {
        CheckpointReport cp = read("checkpoint-report.json", CheckpointReport.class);
        assertThat(cp.getId()).isEqualTo(CONTAINER_ID);
        assertThat(cp.getRuntimeCheckpointDuration()).isEqualTo(266_852L);
        assertThat(cp.getCriuStatistics().getPagesWritten()).isEqualTo(56L);
        assertThat(cp.getCriuStatistics().getFreezingTime()).isEqualTo(100_977L);
        RestoreReport rs = read("restore-report.json", RestoreReport.class);
        assertThat(rs.getRuntimeRestoreDuration()).isEqualTo(189_936L);
        assertThat(rs.getCriuStatistics().getPagesRestored()).isEqualTo(56L);
    }

    @Test
    @DisplayName("exec: create answers an Id; inspect has the exit code and the argv")
    void exec() {
        assertThat(read("exec-create.json", IDResponse.class).getId()).hasSize(64);
        InspectExecSession s = read("exec-inspect.json", InspectExecSession.class);
        assertThat(s.getContainerID()).isEqualTo(CONTAINER_ID);
        assertThat(s.getRunning()).isFalse();
        assertThat(s.getExitCode()).isEqualTo(3);
        assertThat(s.getProcessConfig().getEntrypoint()).isEqualTo("sh");
        assertThat(s.getProcessConfig().getArguments()).containsExactly("-c", "echo hi; exit 3");
    }

    @Test
    @DisplayName("volumes: create, inspect, list")
    void volumes() {
        VolumeConfigResponse v = read("volume-inspect.json", VolumeConfigResponse.class);
        assertThat(v.getName()).isEqualTo("puckrec7986-home");
        assertThat(v.getDriver()).isEqualTo("local");
        assertThat(v.getLabels()).containsEntry("managed-by", "puck");
        assertThat(v.getMountpoint()).endsWith("/puckrec7986-home/_data");
        assertThat(v.getCreatedAt()).isEqualTo(OffsetDateTime.of(2026, 11, 23, 7, 20, 38, 296_110_379, ZoneOffset.UTC));
        assertThat(read("volume-create.json", VolumeConfigResponse.class).getName()).isEqualTo("puckrec7986-home");
        assertThat(read("volume-list.json", new TypeReference<List<VolumeConfigResponse>>() {})).extracting(VolumeConfigResponse::getName)
                .containsExactly("puckrec7986-home");
    }

    @Test
    @DisplayName("networks: create, inspect with its containers, delete")
    void networks() {
        Network n = read("network-create.json", Network.class);
        assertThat(n.getName()).isEqualTo("puckrec7986-net");
        assertThat(n.getDriver()).isEqualTo("bridge");
        assertThat(n.getSubnets()).singleElement().satisfies(s -> {
            assertThat(s.getSubnet()).isEqualTo("10.89.0.0/24");
            assertThat(s.getGateway()).isEqualTo("10.89.0.1");
        });
        assertThat(n.getLabels()).containsEntry("managed-by", "puck");
        NetworkInspectReport r = read("network-inspect.json", NetworkInspectReport.class);
        assertThat(r.getNetworkInterface()).isEqualTo("podman1");
        assertThat(r.getContainers()).containsOnlyKeys(CONTAINER_ID);
        assertThat(r.getContainers().get(CONTAINER_ID).getInterfaces().get("eth0").getSubnets())
                .singleElement().satisfies(a -> assertThat(a.getIpnet()).isEqualTo("10.89.0.2/24"));
        List<NetworkRmReport> rm = read("network-delete.json", new TypeReference<List<NetworkRmReport>>() {});
        assertThat(rm).singleElement().satisfies(x -> {
            assertThat(x.getName()).isEqualTo("puckrec7986-net");
            assertThat(x.getErr()).isNull();
        });
    }

    @Test
    @DisplayName("image inspect: tags, config, creation time")
    void image() {
        ImageData i = read("image-inspect.json", ImageData.class);
        assertThat(i.getRepoTags()).containsExactly("localhost/puck/base:bookworm");
        assertThat(i.getConfig().getEntrypoint()).containsExactly("/usr/bin/tini", "-g", "--");
        assertThat(i.getConfig().getEnv()).contains("LANG=C.UTF-8");
        assertThat(i.getSize()).isEqualTo(269_208_400L);
        assertThat(i.getCreated().toInstant()).isEqualTo(OffsetDateTime.parse("2026-11-23T06:55:24.451539844Z").toInstant());
    }

    @Test
    @DisplayName("the create body serializes with SpecGenerator's JSON names, as the recorded request Podman accepted")
    void specGeneratorSerializes() throws IOException {
        SpecGenerator gen = new SpecGenerator().name("puckrec7986").image("localhost/puck/base:bookworm").hostname("puckrec7986")
                .labels(Map.of("managed-by", "puck", "puck.sprite", "puckrec7986")).annotations(Map.of("puck.note", "recorded"))
                .env(Map.of("GREETING", "hello")).entrypoint(List.of("/usr/bin/tini", "-g", "--")).command(List.of("sleep", "infinity"))
                .volumes(List.of(new NamedVolume().name("puckrec7986-home").dest("/home").options(List.of())))
                .netns(new Namespace().nsmode("bridge")).networks(Map.of("puckrec7986-net", new PerNetworkOptions().aliases(List.of("puckrec7986"))))
                .resourceLimits(new LinuxResources().memory(new LinuxMemory().limit(268_435_456L)).cpu(new LinuxCPU().quota(50_000L).period(100_000L)))
                .terminal(false).stdin(false).stopTimeout(2L);
        JsonNode sent = json.readTree(json.writeValueAsString(gen));
        assertThat(sent).isEqualTo(json.readTree(resource("spec-generator.json")));
        assertThat(json.readTree(json.writeValueAsString(new SpecGenerator().image("x").init(true).initPath("/usr/bin/catatonit"))))
                .as("no nulls are sent, and init_path keeps its underscore")
                .isEqualTo(json.readTree("{\"image\":\"x\",\"init\":true,\"init_path\":\"/usr/bin/catatonit\"}"));
    }

    @Test
    @DisplayName("error bodies: the status, Podman's message and cause reach LibpodException")
    void errors() {
        LibpodException notFound = client.translate("inspect", new ApiException(404, Map.of(), resource("error-404.json")));
        assertThat(notFound.status()).isEqualTo(404);
        assertThat(notFound.notFound()).isTrue();
        assertThat(notFound.podmanCause()).contains("no such container");
        assertThat(notFound.podmanMessage()).isEqualTo("no container with name or ID \"nosuch-puckrec7986\" found: no such container");
        assertThat(notFound).hasMessage("inspect failed (HTTP 404): no container with name or ID \"nosuch-puckrec7986\" found: no such container");

        LibpodException paused = client.translate("exec", new ApiException(409, Map.of(), resource("error-409-paused.json")));
        assertThat(paused.status()).isEqualTo(409);
        assertThat(paused.podmanMessage()).endsWith("is paused");

        LibpodException taken = client.translate("create", new ApiException(500, Map.of(), resource("error-500-name-in-use.json")));
        assertThat(taken.status()).as("Podman 5.4.2 answers a taken name with 500, not the annotated 409").isEqualTo(500);
        assertThat(taken.podmanCause()).contains("that name is already in use");

        LibpodException bodyless = client.translate("start", new ApiException(502, Map.of(), ""));
        assertThat(bodyless.podmanMessage()).isEqualTo("HTTP 502");
        assertThat(bodyless.podmanCause()).isEmpty();

        LibpodException down = client.translate("ping", new ApiException(new java.net.ConnectException("Connection refused")));
        assertThat(down.unreachable()).isTrue();
        assertThat(down.podmanMessage()).contains("no answer from Podman at /nonexistent/podman.sock", "Connection refused");
    }

    private static <T> T read(String file, Class<T> type) {
        try {
            return json.readValue(resource(file), type);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static <T> T read(String file, TypeReference<T> type) {
        try {
            return json.readValue(resource(file), type);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String resource(String file) {
        try (InputStream in = LibpodMappingTest.class.getResourceAsStream("/libpod/" + file)) {
            assertThat(in).as("test resource libpod/%s", file).isNotNull();
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
