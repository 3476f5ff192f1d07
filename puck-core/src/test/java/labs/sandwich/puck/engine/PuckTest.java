package labs.sandwich.puck.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import labs.sandwich.puck.Puck;
import labs.sandwich.puck.api.BackendException;
import labs.sandwich.puck.api.Capability;
import labs.sandwich.puck.api.DeletePolicy;
import labs.sandwich.puck.api.ExecRequest;
import labs.sandwich.puck.api.IllegalSpriteStateException;
import labs.sandwich.puck.api.ImageNotFoundException;
import labs.sandwich.puck.api.ImageRef;
import labs.sandwich.puck.api.InvalidSpecException;
import labs.sandwich.puck.api.OperationTimeoutException;
import labs.sandwich.puck.api.Snapshot;
import labs.sandwich.puck.api.SnapshotCorruptedException;
import labs.sandwich.puck.api.SnapshotNotFoundException;
import labs.sandwich.puck.api.Sprite;
import labs.sandwich.puck.api.SpriteAlreadyExistsException;
import labs.sandwich.puck.api.SpriteNotFoundException;
import labs.sandwich.puck.api.SpriteSpec;
import labs.sandwich.puck.api.SpriteState;
import labs.sandwich.puck.api.Subscription;
import labs.sandwich.puck.api.UnsupportedCapabilityException;
import labs.sandwich.puck.api.event.SpriteEvent;
import labs.sandwich.puck.testkit.InMemorySpriteRuntime;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The engine end to end, on the in-memory runtime and a real SQLite store. */
class PuckTest {
    @TempDir
    Path tmp;
    InMemorySpriteRuntime runtime;
    Puck puck;

    @BeforeEach
    void open() {
        runtime = new InMemorySpriteRuntime();
        puck = open(runtime);
    }

    private Puck open(InMemorySpriteRuntime rt) {
        return Puck.builder().runtime(rt).store(tmp.resolve("puck.db")).defaultTimeout(Duration.ofSeconds(20)).build();
    }

    @AfterEach
    void close() {
        puck.close();
        runtime.close();
    }

    @Test
    void theStoryOfDesignMd() {
        Sprite s = puck.create(SpriteSpec.named("media-bot").withIdleTimeout(Duration.ofMinutes(15)));
        assertThat(s.exec("apt-get", "install", "-y", "ffmpeg").exitCode()).isZero();
        assertThat(s.exec("counter").stdout().strip()).isEqualTo("1");
        s.hibernate();
        assertThat(s.state()).isEqualTo(SpriteState.HIBERNATED);
        assertThat(runtime.memoryHeld("media-bot")).as("a hibernated sprite holds no RAM").isZero();
        assertThat(s.exec("counter").stdout().strip()).as("exec woke it with its memory").isEqualTo("2");
        assertThat(s.state()).isEqualTo(SpriteState.RUNNING);
        Snapshot before = s.snapshot("before-upgrade");
        s.writeFile("/root/after.txt", "later".getBytes(StandardCharsets.UTF_8));
        assertThat(s.exec("counter").stdout().strip()).isEqualTo("3");
        s.restore(before);
        assertThat(s.exec("counter").stdout().strip()).as("memory as it was at the snapshot").isEqualTo("3");
        assertThat(s.exec("cat", "/root/after.txt").exitCode()).as("disk as it was at the snapshot").isNotZero();
        Sprite fork = s.fork(before, "media-bot-2");
        assertThat(fork.exec("counter").stdout().strip()).isEqualTo("3");
        assertThat(s.exec("counter").stdout().strip()).as("the parent has its own memory").isEqualTo("4");
        assertThat(puck.list()).extracting(Sprite::name).containsExactly("media-bot", "media-bot-2");
        assertThat(s.snapshots()).containsExactly(before);
        fork.delete(DeletePolicy.PURGE);
        s.delete();
        assertThat(puck.list()).isEmpty();
        assertThat(runtime.list()).isEmpty();
    }

    @Test
    void pauseAndWakeAreIdempotentAndFollowTheStateTable() {
        Sprite s = puck.create("p");
        s.pause();
        s.pause();
        assertThat(s.state()).isEqualTo(SpriteState.PAUSED);
        s.hibernate();
        assertThat(s.state()).as("hibernating a paused sprite resumes it first").isEqualTo(SpriteState.HIBERNATED);
        s.hibernate();
        assertThatThrownBy(s::pause).isInstanceOfSatisfying(IllegalSpriteStateException.class, e -> {
            assertThat(e.state()).isEqualTo(SpriteState.HIBERNATED);
            assertThat(e.getMessage()).contains("wake()");
        });
        s.wake();
        s.wake();
        assertThat(s.state()).isEqualTo(SpriteState.RUNNING);
        assertThat(runtime.calls("p", "wake")).isEqualTo(1);
        assertThat(runtime.calls("p", "hibernate")).isEqualTo(1);
    }

    @Test
    void eventsArriveInOrderAndAFailingListenerStopsNothing() throws Exception {
        List<SpriteEvent> seen = new CopyOnWriteArrayList<>();
        try (Subscription boom = puck.events().subscribe(e -> { throw new IllegalStateException("listener bug"); });
                Subscription sub = puck.events().subscribe("ev", seen::add)) {
            Sprite s = puck.create("ev");
            puck.create("other");
            s.pause();
            s.wake();
            s.hibernate();
            s.exec("true");
            Snapshot snap = s.snapshot("one");
            s.restore(snap);
            s.delete();
            awaitSize(seen, 8);
            assertThat(seen).extracting(e -> e.getClass().getSimpleName())
                    .containsExactly("Created", "Paused", "Woken", "Hibernated", "Woken", "Snapshotted", "Restored", "Deleted");
            assertThat(seen).allMatch(e -> e.sprite().equals("ev"));
            assertThat(((SpriteEvent.Woken) seen.get(4)).from()).isEqualTo(SpriteState.HIBERNATED);
        }
        int before = seen.size();
        puck.get("other").pause();
        Thread.sleep(100);
        assertThat(seen).as("a closed subscription receives nothing").hasSize(before);
    }

    @Test
    void badInputIsRefusedAndChangesNothing() {
        Sprite s = puck.create("one");
        assertThatThrownBy(() -> puck.create("one")).isInstanceOf(SpriteAlreadyExistsException.class);
        assertThat(runtime.calls("one", "create")).isEqualTo(1);
        assertThat(s.state()).isEqualTo(SpriteState.RUNNING);
        assertThatThrownBy(() -> puck.get("nobody")).isInstanceOf(SpriteNotFoundException.class);
        assertThatThrownBy(() -> puck.create("No Way")).isInstanceOf(InvalidSpecException.class);
        assertThatThrownBy(() -> s.snapshot("../escape")).isInstanceOf(InvalidSpecException.class);
        assertThatThrownBy(() -> s.writeFile("relative.txt", new byte[0])).isInstanceOf(InvalidSpecException.class);
        assertThatThrownBy(() -> s.copyIn(tmp.resolve("absent"), "/root/x")).isInstanceOf(InvalidSpecException.class);
        assertThatThrownBy(() -> s.fork(s.snapshot("a"), "one")).isInstanceOf(SpriteAlreadyExistsException.class);
        assertThatThrownBy(() -> puck.create(SpriteSpec.named("img").withImage(ImageRef.of("nowhere/none:1"))))
                .isInstanceOf(ImageNotFoundException.class);
        assertThat(puck.find("img")).as("a failed create leaves no record").isEmpty();
        assertThat(puck.list()).extracting(Sprite::name).containsExactly("one");
    }

    @Test
    void aSnapshotForResetResetsManyTimesAndIsJournaledAsAReset() {
        Sprite s = puck.create("fixture");
        s.writeFile("/root/seed.txt", "seeded".getBytes(StandardCharsets.UTF_8));
        assertThat(s.exec("counter").stdout().strip()).isEqualTo("1");
        Snapshot seeded = s.snapshotForReset("seeded");
        for (int i = 0; i < 3; i++) {
            s.writeFile("/root/seed.txt", "changed".getBytes(StandardCharsets.UTF_8));
            assertThat(s.exec("counter").stdout().strip()).isEqualTo("2");
            if (i == 1) {
                s.hibernate();
            }
            s.reset(seeded);
            assertThat(s.state()).isEqualTo(SpriteState.RUNNING);
            assertThat(new String(s.readFile("/root/seed.txt"), StandardCharsets.UTF_8)).isEqualTo("seeded");
        }
        assertThat(s.history(20)).anyMatch(c -> c.operation().equals("reset"));
        Sprite other = puck.create("other");
        assertThatThrownBy(() -> other.reset(seeded)).isInstanceOf(SnapshotNotFoundException.class);
    }

    @Test
    void aSnapshotBelongsToItsSprite() {
        Sprite a = puck.create("a");
        Sprite b = puck.create("b");
        Snapshot snap = a.snapshot("mine");
        assertThatThrownBy(() -> b.restore(snap)).isInstanceOf(SnapshotNotFoundException.class);
        assertThatThrownBy(() -> b.fork(snap, "c")).isInstanceOf(SnapshotNotFoundException.class);
        assertThat(a.fork(snap, "c").name()).as("its owner can fork it").isEqualTo("c");
    }

    @Test
    void aCorruptedSnapshotIsRefusedAndTheSpriteIsUntouched() {
        Sprite s = puck.create("c");
        s.exec("counter");
        Snapshot snap = s.snapshot("good");
        s.writeFile("/root/now.txt", "current".getBytes(StandardCharsets.UTF_8));
        s.exec("counter");
        runtime.corrupt(snap.id());
        assertThatThrownBy(() -> s.restore(snap)).isInstanceOf(SnapshotCorruptedException.class);
        assertThat(s.state()).isEqualTo(SpriteState.RUNNING);
        assertThat(new String(s.readFile("/root/now.txt"), StandardCharsets.UTF_8)).isEqualTo("current");
        assertThat(s.exec("counter").stdout().strip()).isEqualTo("3");
    }

    @Test
    void filesGoInAndOutAndWakeTheSprite() throws Exception {
        Sprite s = puck.create("f");
        s.hibernate();
        byte[] bytes = new byte[70_000];
        new java.util.Random(1).nextBytes(bytes);
        Path local = Files.write(tmp.resolve("in.bin"), bytes);
        s.copyIn(local, "/root/data/in.bin");
        assertThat(s.state()).isEqualTo(SpriteState.RUNNING);
        s.hibernate();
        assertThat(s.readFile("/root/data/in.bin")).isEqualTo(bytes);
        s.copyOut("/root/data/in.bin", tmp.resolve("out.bin"));
        assertThat(Files.readAllBytes(tmp.resolve("out.bin"))).isEqualTo(bytes);
    }

    @Test
    void anExecThatRunsTooLongTimesOut() {
        Sprite s = puck.create("t");
        assertThatThrownBy(() -> s.exec(ExecRequest.of("sleep", "5").withTimeout(Duration.ofMillis(200))))
                .isInstanceOf(OperationTimeoutException.class);
        assertThat(s.exec("echo", "still", "here").stdout()).isEqualTo("still here\n");
    }

    @Test
    void aMissingCapabilityIsAnErrorNeverANoOp() {
        try (InMemorySpriteRuntime limited = InMemorySpriteRuntime.builder().capabilities(java.util.EnumSet.of(Capability.EXEC, Capability.FILES)).build();
                Puck p = Puck.builder().runtime(limited).store(tmp.resolve("limited.db")).build()) {
            Sprite s = p.create("l");
            assertThatThrownBy(s::hibernate).isInstanceOfSatisfying(UnsupportedCapabilityException.class,
                    e -> assertThat(e.capability()).isEqualTo(Capability.HIBERNATE));
            assertThatThrownBy(() -> s.snapshot("x")).isInstanceOf(UnsupportedCapabilityException.class);
            assertThatThrownBy(s::pause).isInstanceOf(UnsupportedCapabilityException.class);
            assertThatThrownBy(() -> p.buildImage(tmp, "localhost/x/y:1")).isInstanceOf(UnsupportedCapabilityException.class);
            assertThat(s.state()).isEqualTo(SpriteState.RUNNING);
            assertThat(p.capabilities()).containsExactlyInAnyOrder(Capability.EXEC, Capability.FILES);
        }
    }

    @Test
    void anAmbiguousFailureMarksTheSpriteFailedKeepsItAndWakeRecovers() {
        Sprite s = puck.create("amb");
        s.exec("counter");
        runtime.failNext("hibernate", new BackendException("in-memory", "amb", 500, "connection reset mid-checkpoint", null, null));
        assertThatThrownBy(s::hibernate).isInstanceOf(BackendException.class);
        assertThat(s.state()).isEqualTo(SpriteState.FAILED);
        assertThat(runtime.inspect("amb")).as("nothing was deleted").isPresent();
        s.wake();
        assertThat(s.state()).isEqualTo(SpriteState.RUNNING);
        assertThat(s.exec("counter").stdout().strip()).isEqualTo("2");
    }

    @Test
    void aCertainFailureRollsBack() {
        Sprite s = puck.create("roll");
        runtime.failNext("hibernate", new IllegalSpriteStateException("roll", SpriteState.RUNNING, "hibernate", "test"));
        assertThatThrownBy(s::hibernate).isInstanceOf(IllegalSpriteStateException.class);
        assertThat(s.state()).isEqualTo(SpriteState.RUNNING);
    }

    @Test
    void twoPucksOnOneStoreSeeEachOther() {
        try (Puck second = open(runtime)) {
            puck.create("shared").hibernate();
            assertThat(second.get("shared").state()).isEqualTo(SpriteState.HIBERNATED);
            second.get("shared").wake();
            assertThat(puck.get("shared").state()).isEqualTo(SpriteState.RUNNING);
        }
    }

    @Test
    void aStoreAdoptsOnlyItsOwnSpritesAndUnlabelledOnes() {
        puck.create("mine");
        runtime.create(SpriteSpec.named("unlabelled"));
        try (Puck other = Puck.builder().runtime(runtime).store(tmp.resolve("other.db")).build()) {
            assertThat(other.list()).extracting(Sprite::name).as("another store's sprite is not taken").containsExactly("unlabelled");
            other.create("theirs");
        }
        puck.close();
        puck = open(runtime);
        assertThat(puck.list()).extracting(Sprite::name).containsExactly("mine", "unlabelled");
        assertThat(puck.get("mine").inspect().spec().labels()).containsKey("puck.store");
        runtime.delete("theirs", DeletePolicy.PURGE);
    }

    @Test
    void openingReconcilesTheStoreWithTheRuntime() {
        puck.create("kept");
        puck.create("lost");
        puck.close();
        runtime.create(SpriteSpec.named("stray"));
        runtime.delete("lost", DeletePolicy.KEEP_VOLUMES);
        runtime.hibernate("kept");
        puck = open(runtime);
        assertThat(puck.get("stray").state()).as("adopted").isEqualTo(SpriteState.RUNNING);
        assertThat(puck.get("kept").state()).as("the runtime's word").isEqualTo(SpriteState.HIBERNATED);
        assertThat(puck.get("lost").state()).as("marked, never deleted").isEqualTo(SpriteState.FAILED);
        assertThatThrownBy(() -> puck.get("lost").wake()).isInstanceOf(IllegalSpriteStateException.class).hasMessageContaining("nothing was deleted");
        puck.get("lost").delete();
        assertThat(puck.find("lost")).isEmpty();
    }

    @Test
    void imagesAreBuiltFromAContainerfileAndSpritesStartFromThem() throws Exception {
        Path ctx = Files.createDirectories(tmp.resolve("ctx"));
        Files.writeString(ctx.resolve("Containerfile"), "# tools\nFROM localhost/puck/base:bookworm\nRUN apt-get install -y jq\n");
        ImageRef built = puck.buildImage(ctx, "localhost/me/tools:1");
        assertThat(built.reference()).isEqualTo("localhost/me/tools:1");
        assertThat(puck.create(SpriteSpec.named("tooled").withImage(built)).inspect().spec().image()).isEqualTo(built);
        assertThatThrownBy(() -> puck.buildImage(tmp.resolve("nowhere"), "localhost/me/x:1")).isInstanceOf(InvalidSpecException.class)
                .hasMessageContaining("not a directory");
        Path empty = Files.createDirectories(tmp.resolve("empty"));
        assertThatThrownBy(() -> puck.buildImage(empty, "localhost/me/x:1")).isInstanceOf(InvalidSpecException.class)
                .hasMessageContaining("no Containerfile or Dockerfile");
        assertThatThrownBy(() -> puck.buildImage(ctx, "Not A Tag")).isInstanceOf(InvalidSpecException.class);
        Files.writeString(ctx.resolve("Containerfile"), "FROM localhost/absent/base:1\n");
        assertThatThrownBy(() -> puck.buildImage(ctx, "localhost/me/x:1")).isInstanceOf(ImageNotFoundException.class);
    }

    @Test
    void createAllMakesThemInParallel() {
        List<Sprite> all = puck.createAll(List.of(SpriteSpec.named("x1"), SpriteSpec.named("x2"), SpriteSpec.named("x3")));
        assertThat(all).extracting(Sprite::name).containsExactly("x1", "x2", "x3");
        assertThat(all).allMatch(s -> s.state() == SpriteState.RUNNING);
        assertThatThrownBy(() -> puck.createAll(List.of(SpriteSpec.named("y"), SpriteSpec.named("y")))).isInstanceOf(InvalidSpecException.class);
    }

    private static void awaitSize(List<?> list, int size) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (list.size() < size && System.nanoTime() < end) {
            Thread.sleep(10);
        }
        assertThat(list).hasSizeGreaterThanOrEqualTo(size);
    }
}
