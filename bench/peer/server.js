// The peer for the benchmarks: @neo4j/graphql 7.6 on Apollo Server 5 over the same Neo4j.
//
// Type definitions mirror our stored model (docs/MODEL.md). The map workloads (W1-W6) are
// @cypher fields holding our raw statements, each wrapped in `CALL () { ... } RETURN {...} AS
// result` (bench/workloads.py, peer_statement); bench/run.py writes them to a JSON file and
// passes its path in PEER_CYPHER, so both sides run literally the same Cypher. Their
// arguments are the raw variant's parameters: the library substitutes them as Cypher
// parameters, `Date` arriving as a Neo4j Date and `Int` as an integer. The output types
// expose every column and map key except `data`. The customer list (W7), the company tree
// (W9) and the writes (W8) use the library's generated queries over @relationship fields.
//
//   NEO4J_URI=bolt://... NEO4J_PASSWORD=... PORT=4000 PEER_CYPHER=/tmp/cypher.json node server.js

import { readFileSync } from "node:fs";
import net from "node:net";
import { ApolloServer } from "@apollo/server";
import { startStandaloneServer } from "@apollo/server/standalone";
import { Neo4jGraphQL } from "@neo4j/graphql";
import neo4j from "neo4j-driver";
import { GraphQLScalarType } from "graphql";

// neo4j-driver 5 turns on keep-alive for its Bolt sockets but leaves Nagle's algorithm on, so a
// reply that spans segments can wait ~40 ms for a delayed ACK: every @cypher field measured a
// 50-60 ms floor that the same statement never shows from Python (its driver sets
// TCP_NODELAY). Turn Nagle off wherever the driver asks for keep-alive, so the comparison
// measures the GraphQL layer and not a socket default.
const setKeepAlive = net.Socket.prototype.setKeepAlive;
net.Socket.prototype.setKeepAlive = function (...args) {
  this.setNoDelay(true);
  return setKeepAlive.apply(this, args);
};

const cypher = JSON.parse(readFileSync(process.env.PEER_CYPHER, "utf8"));

// A GraphQL block string cannot hold `"""`; our statements never contain it.
const field = (name, args, type, key) =>
  `  ${name}${args}: ${type} @cypher(statement: """${cypher[key]}""", columnName: "result")`;

// A customer is a company or a person seen through its Customer label (W7 lists both, as ours).
const ACCOUNT_FIELDS = `
  id: ID!
  name: String!
  nameEn: String
  industry: String
  tier: String
  lifecycleStage: String
  customerCode: String`;

const typeDefs = `#graphql
type Company @node {${ACCOUNT_FIELDS}
  version: Int
  archivedAt: DateTime
  employees: [Person!]! @relationship(type: "WORKS_AT", direction: IN, properties: "WorksAt")
  subsidiaries: [Company!]!
    @relationship(type: "SUBSIDIARY_OF", direction: IN, properties: "Validity")
}

type WorksAt @relationshipProperties {
  since: Date
  until: Date
  title: String
}

type Validity @relationshipProperties {
  since: Date
  until: Date
}

type Customer @node(labels: ["Customer"]) {${ACCOUNT_FIELDS}
}

type Person @node {
  id: ID!
  name: String!
  nameEn: String
  version: Int
  archivedAt: DateTime
  worksAt: [Company!]! @relationship(type: "WORKS_AT", direction: OUT, properties: "WorksAt")
}

"""
Any Neo4j temporal (a date or datetime in our maps), as its ISO string.
"""
scalar Temporal

"""
A map of arbitrary keys (the statements' \`data\`), temporals as ISO strings.
"""
scalar Props

type MapNode {
  id: ID!
  kind: String
  name: String
  nameEn: String
  isCustomer: Boolean
  tier: String
  lifecycleStage: String
  hidden: Boolean
  data: Props
  openProjectAmount: Float
  job: Job
}

type Job {
  title: String
  department: String
  companyId: ID
}

type MapEdge {
  id: ID
  source: ID!
  target: ID!
  type: String!
  since: Temporal
  until: Temporal
  kind: String
  strength: Float
  polarity: String
  data: Props
}

type AccountMap {
  nodes: [MapNode!]!
  edges: [MapEdge!]!
  truncated: Boolean!
}

type GroupHierarchy {
  nodes: [MapNode!]!
  edges: [MapEdge!]!
  roots: [ID!]!
  truncated: Boolean!
}

type ProjectRole {
  projectId: ID!
  project: String
  role: String
  stance: String
}

type ContactPerson {
  person: MapNode!
  works: MapEdge!
  roles: [ProjectRole!]!
}

type ContactMap {
  companies: [MapNode!]!
  people: [ContactPerson!]!
  personEdges: [MapEdge!]!
  companyEdges: [MapEdge!]!
  truncated: Boolean!
}

type Participant {
  id: ID!
  role: String
  stance: String
  concerns: String
}

type Known {
  user: ID!
  person: ID!
  strength: Float
}

type StanceChange {
  personId: ID
  from: String
  to: String
  at: Temporal
  by: String
}

type DecisionTree {
  project: ID!
  parts: [Participant!]!
  hidden: [ID!]!
  people: [MapNode!]!
  edges: [MapEdge!]!
  known: [Known!]!
  history: [StanceChange!]!
}

type PeopleLink {
  company: MapNode!
  person: MapNode!
  w1: MapEdge!
  w2: MapEdge!
  shared: Boolean
}

type ProjectLink {
  company: MapNode!
  project: MapNode!
  person: MapNode!
  edges: [MapEdge!]!
}

type RelatedAccounts {
  nodes: [MapNode!]!
  chainEdges: [MapEdge!]!
  peopleLinks: [PeopleLink!]!
  projectLinks: [ProjectLink!]!
  truncated: Boolean!
}

type Employer {
  company: MapNode!
  edges: [MapEdge!]!
}

type IntroHop {
  ties: [MapEdge!]!
  employers: [Employer!]!
}

type IntroChain {
  people: [MapNode!]!
  hops: [IntroHop!]!
}

type WarmIntro {
  targetFound: Boolean!
  users: [ID!]!
  paths: [IntroChain!]!
}

type Query {
${field("accountMap", "(center: ID!, types: [String!]!, limit: Int!, limitPlus: Int!, asOf: Date, withData: Boolean!)", "AccountMap", "W1")}
${field("groupHierarchy", "(company: ID!, limit: Int!, limitPlus: Int!, asOf: Date, withData: Boolean!)", "GroupHierarchy", "W2")}
${field("contactMap", "(company: ID!, limit: Int!, limitPlus: Int!, asOf: Date, withData: Boolean!)", "ContactMap", "W3")}
${field("decisionTree", "(project: ID!, asOf: Date, withData: Boolean!)", "DecisionTree", "W4")}
${field("relatedAccounts", "(company: ID!, types: [String!]!, people: Boolean!, shared: Boolean!, former: Boolean!, projects: Boolean!, asOf: Date, withData: Boolean!)", "RelatedAccounts", "W5")}
${field("warmIntroPaths", "(target: ID!, staff: [ID!], asOf: Date, withData: Boolean!)", "WarmIntro", "W6")}
}
`;

// Values inside @cypher maps reach the default resolvers as driver objects.
const plain = (v) => {
  if (v === null || v === undefined) return null;
  if (neo4j.isInt(v)) return v.toNumber();
  if (neo4j.isDate(v) || neo4j.isDateTime(v) || neo4j.isLocalDateTime(v)) return v.toString();
  if (Array.isArray(v)) return v.map(plain);
  if (typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)]));
  return v;
};
const output = (name, description) =>
  new GraphQLScalarType({ name, description, serialize: plain, parseValue: plain });
const resolvers = {
  Temporal: output("Temporal", "A Neo4j temporal as its ISO string."),
  Props: output("Props", "A map of arbitrary keys."),
};

const driver = neo4j.driver(
  process.env.NEO4J_URI,
  neo4j.auth.basic(process.env.NEO4J_USER || "neo4j", process.env.NEO4J_PASSWORD),
);
const neoSchema = new Neo4jGraphQL({ typeDefs, driver, resolvers });
const schema = await neoSchema.getSchema();
const server = new ApolloServer({ schema });
const port = Number(process.env.PORT || 4000);
const { url } = await startStandaloneServer(server, {
  listen: { port, host: "127.0.0.1" },
  context: async () => ({ sessionConfig: { database: "neo4j" } }),
});
console.log(`peer ready at ${url}`);
