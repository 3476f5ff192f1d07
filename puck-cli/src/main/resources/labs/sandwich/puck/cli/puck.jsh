// Puck's jshell start-up (`puck shell`): Puck's packages are imported and `puck` is open on
// your store. At the first prompt:  var s = puck.create("scratch");  s.exec("uname", "-a")
import labs.sandwich.puck.*;
import labs.sandwich.puck.api.*;
import java.time.Duration;
var puck = Puck.open();
System.out.println("puck ==> " + puck + "\n  try: var s = puck.create(\"scratch\"); s.exec(\"uname\", \"-a\"); s.hibernate(); s.wake()");
