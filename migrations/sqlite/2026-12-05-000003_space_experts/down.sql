DROP TABLE space_experts;
