from paybridge.ops.cli import main

raise SystemExit(main())
