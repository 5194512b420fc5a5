import Runtime
import Memory
