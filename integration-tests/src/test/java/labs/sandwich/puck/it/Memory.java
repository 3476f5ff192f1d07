package labs.sandwich.puck.it;

import java.nio.charset.StandardCharsets;
import labs.sandwich.puck.api.Sprite;
import labs.sandwich.puck.testkit.Workloads;

/** State held only in a sprite's memory: a counter in a Python server, read from inside the sprite. */
final class Memory {
    private Memory() {}

    /** Starts the counter server (a daemon adopted by the sprite's init, so a checkpoint takes it) and returns its first value. */
    static long start(Sprite s) throws InterruptedException {
        s.writeFile("/root/counter.py", Workloads.PYTHON_COUNTER_SERVER.getBytes(StandardCharsets.UTF_8));
        s.exec("sh", "-c", "nohup python3 /root/counter.py >/dev/null 2>&1 &").orThrow();
        for (int i = 0; i < 200; i++) {
            var r = s.exec("curl", "-sf", "http://127.0.0.1:8080/");
            if (r.succeeded()) {
                return Long.parseLong(r.stdout().strip());
            }
            Thread.sleep(50);
        }
        throw new AssertionError("the counter server did not start in " + s.name());
    }

    /** @return the counter's next value */
    static long next(Sprite s) {
        return Long.parseLong(s.exec("curl", "-sf", "http://127.0.0.1:8080/").orThrow().stdout().strip());
    }
}
