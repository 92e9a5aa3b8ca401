"""The local stack: `feed up`, the child processes it starts and how they are launched and waited for."""
