// A sprite from jshell: `jshell --class-path <puck> hello.jsh` (the examples build runs it).
import labs.sandwich.puck.*;
import labs.sandwich.puck.api.*;

int exitCode = 1; // jshell goes on past a failed line: only the last check sets it to 0

var puck = Puck.open();
var s = puck.create("example-jshell-" + ProcessHandle.current().pid());
s.exec("sh", "-c", "echo 42 > /root/answer").orThrow();
s.hibernate();
System.out.println(s);
s.wake();
var answer = s.exec("cat", "/root/answer").orThrow().stdout().strip();
System.out.println(s + " answers " + answer);
s.delete(DeletePolicy.PURGE);
puck.close();
exitCode = answer.equals("42") ? 0 : 1;
/exit exitCode
